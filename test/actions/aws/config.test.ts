// The aws-* action schemas, alone and composed into the agent's config loader: bad input is refused with the
// file, the path inside it and what was expected; good input (IPv4, IPv6, overlay /32, selectors) passes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateAwsAction } from '../../../src/actions/aws/registry.js';
import { parseDestination } from '../../../src/actions/aws/route-view.js';
import { subnetProblem } from '../../../src/actions/aws/secondary-ip.js';
import { ConfigError, parseConfig } from '../../../src/agent/config.js';
import { validateAnyAction } from '../../../src/cli/action-specs.js';

const KEY = 'bG9vcGJhY2stdGVzdC1wYWlyLWtleS0zMi1ieXRlcyEh';

const route = {
  kind: 'aws-route-table',
  route_tables: ['rtb-0a1b2c3d4e5f60001', { tag: 'Name', value: 'private' }, { subnet: 'subnet-0a1b2c3d' }],
  destinations: ['0.0.0.0/0', '2001:db8:1::/48', '192.168.200.1/32'],
  peer_eni_id: 'eni-0a1b2c3d4e5f6000a',
};

describe('aws action schemas', () => {
  it('accepts IPv4, IPv6 and overlay destinations and every route-table selector', () => {
    assert.deepEqual(validateAwsAction(route), []);
  });

  it('normalises destinations the way EC2 spells them', () => {
    assert.deepEqual(parseDestination('10.1.2.3/16'), { cidr: '10.1.0.0/16', family: 'ipv4' });
    assert.deepEqual(parseDestination('2001:DB8:1:0::/48'), { cidr: '2001:db8:1::/48', family: 'ipv6' });
    assert.equal(parseDestination('10.0.0.1'), null);
  });

  it('names the path and the expectation for each problem', () => {
    const issues = validateAwsAction({
      ...route,
      destinations: ['0.0.0.0/0', '10.9.0.1'],
      peer_eni_id: 'eni-x_y',
    });
    assert.deepEqual(
      issues.map((i) => i.path),
      ['peer_eni_id'],
      'schema errors first; semantic checks run on a well-shaped spec',
    );
    const semantic = validateAwsAction({ ...route, destinations: ['0.0.0.0/0', '10.9.0.1'] });
    assert.deepEqual(semantic, [
      {
        path: 'destinations[1]',
        message: 'expected an IPv4 or IPv6 CIDR (0.0.0.0/0, 10.9.0.1/32), got "10.9.0.1"',
      },
    ]);
    const unknown = validateAwsAction({ ...route, route_table: 'rtb-1' });
    assert.match(unknown[0]?.message ?? '', /unknown key/);
    const eni = validateAwsAction({ kind: 'aws-eni', eni_id: 'eni-1', device_index: 0 });
    assert.deepEqual(
      eni.map((i) => i.path),
      ['device_index'],
    );
  });

  it('refuses our own ENI as the peer', () => {
    const issues = validateAwsAction({ ...route, eni_id: route.peer_eni_id });
    assert.deepEqual(
      issues.map((i) => i.path),
      ['peer_eni_id'],
    );
  });

  it('knows the five reserved addresses of a subnet', () => {
    assert.equal(subnetProblem('10.0.1.100', '10.0.1.0/24'), null);
    for (const ip of ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.255'])
      assert.match(subnetProblem(ip, '10.0.1.0/24') ?? '', /reserved/);
    assert.match(subnetProblem('10.0.2.10', '10.0.1.0/24') ?? '', /outside/);
  });
});

describe('aws actions inside the agent config', () => {
  const yaml = (actions: string) => `pair: p
node: a
role: primary
pair_key_env: KEY
paths: [{ name: lan, local_address: 127.0.0.1, peer_address: 127.0.0.2 }]
actions:
${actions}
`;

  it('a valid aws-route-table entry loads', () => {
    const cfg = parseConfig(
      'node.yaml',
      yaml(
        `  - { kind: aws-route-table, route_tables: [rtb-0a1], destinations: [0.0.0.0/0], peer_eni_id: eni-0b2 }`,
      ),
      { env: { KEY }, validateAction: validateAnyAction },
    );
    assert.equal(cfg.actions[0]?.kind, 'aws-route-table');
  });

  it('a bad entry is refused naming the file and actions[i].key', () => {
    assert.throws(
      () =>
        parseConfig(
          'node.yaml',
          yaml(
            `  - { kind: aws-route-table, route_tables: [], destinations: [0.0.0.0/0], peer_eni_id: eni-0b2 }`,
          ),
          { env: { KEY }, validateAction: validateAnyAction },
        ),
      (err: unknown) =>
        err instanceof ConfigError && /^node\.yaml:\d+: actions\[0\]\.route_tables: /m.test(err.message),
    );
  });
});
