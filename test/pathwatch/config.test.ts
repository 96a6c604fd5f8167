import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/issues.js';
import { parsePathwatchConfig } from '../../src/pathwatch/config.js';

const EXAMPLE = new URL('../../examples/pathwatch-dx-vpn.yaml', import.meta.url).pathname;
const AZURE_EXAMPLE = new URL('../../examples/pathwatch-er-vpn-azure.yaml', import.meta.url).pathname;

function refused(text: string): ConfigError {
  try {
    parsePathwatchConfig('pw.yaml', text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('the config was accepted');
}

const MINIMAL = `name: dx
primary:
  targets:
    - kind: icmp
      address: 10.50.0.1
routes:
  - kind: aws-route-table
    route_tables: [rtb-0123456789abcdef0]
    destinations: [10.50.0.0/16]
    eni_id: eni-0123456789abcdef0
    region: us-east-1
`;

describe('pathwatch config', () => {
  it('the shipped example loads, with the reference probe defaults', () => {
    const cfg = parsePathwatchConfig(EXAMPLE, readFileSync(EXAMPLE, 'utf8'));
    assert.equal(cfg.primary.label, 'direct-connect');
    assert.deepEqual([cfg.primary.interval_ms, cfg.primary.count, cfg.primary.timeout_ms], [2000, 3, 1000]);
    assert.equal(cfg.watch.failback_rounds, 10);
    assert.equal(cfg.watch.min_backup_ms, 60_000);
    assert.deepEqual(cfg.watch.backup_rule, { kind: 'all' });
  });

  it('a minimal config: no backup watcher, failback after 10 rounds, rule all', () => {
    const cfg = parsePathwatchConfig('pw.yaml', MINIMAL);
    assert.equal(cfg.backup, null);
    assert.deepEqual(cfg.watch, {
      primary_rule: { kind: 'all' },
      backup_rule: null,
      failover_rounds: 1,
      failback_rounds: 10,
      min_backup_ms: 0,
    });
    assert.deepEqual(cfg.status, { host: '127.0.0.1', port: 20482 });
  });

  it('errors name the file, the line, the path and what was expected', () => {
    const err = refused(MINIMAL.replace('address: 10.50.0.1', 'address: 010.50.0.1'));
    assert.equal(
      err.message,
      'pw.yaml:5: primary.targets[0].address: expected an IPv4 or IPv6 address, got "010.50.0.1"',
    );
  });

  it('a host address as a route destination is refused with the network it probably meant', () => {
    const err = refused(MINIMAL.replace('[10.50.0.0/16]', '[10.50.1.7/16]'));
    assert.match(err.message, /^pw\.yaml:9: routes\[0\]\.destinations\[0\]: .*did you mean 10\.50\.0\.0\/16/);
  });

  it('shape errors carry lines too: an unknown key, a bad id, a missing key', () => {
    const err = refused(
      MINIMAL.replace('name: dx\n', 'name: dx\nfailbak: {}\n')
        .replace('eni-0123456789abcdef0', 'eni-XYZ')
        .replace('    region: us-east-1\n', ''),
    );
    const lines = err.issues.map((i) => `${i.line} ${i.path}`);
    assert.deepEqual(lines.sort(), ['2 failbak', '8 routes[0].region', '11 routes[0].eni_id'].sort());
  });

  it('a round longer than the interval is refused: the hysteresis counts rounds', () => {
    const err = refused(MINIMAL.replace('primary:\n', 'primary:\n  interval_ms: 500\n  timeout_ms: 400\n'));
    assert.match(
      err.message,
      /primary\.interval_ms: expected at least timeout_ms \+ spacing_ms × \(count − 1\) = 800, got 500/,
    );
  });

  it('several problems are reported at once', () => {
    const err = refused(
      `${MINIMAL}  - kind: linux-route\n    destination: 10.60.0.0/16\nstatus:\n  listen: nowhere\n`
        .replace('kind: icmp', 'kind: tcp\n      port: 443')
        .replace('address: 10.50.0.1', 'address: 10.50.0.300'),
    );
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['primary.targets[0].address', 'routes[1]', 'status.listen'],
    );
  });

  it('http targets cannot be pinned to a source address', () => {
    const err = refused(
      MINIMAL.replace('primary:\n', 'primary:\n  source: 10.0.0.5\n').replace(
        '    - kind: icmp\n      address: 10.50.0.1\n',
        '    - kind: http\n      url: http://10.50.0.1/health\n',
      ),
    );
    assert.match(err.message, /primary\.targets\[0\]: expected icmp or tcp targets only when source is set/);
  });
});

describe('pathwatch config: lists of several kinds', () => {
  it('a route of a known kind is checked against that kind', () => {
    const err = refused(MINIMAL.replace('region: us-east-1', 'region: us-east-1\n    on_conflict: replace'));
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [[12, 'routes[0].on_conflict']],
    );
    assert.match(err.message, /expected one of "report", "overwrite", got "replace"/);
  });

  it('an unknown kind lists the known ones', () => {
    const err = refused(MINIMAL.replace('kind: icmp', 'kind: ping'));
    assert.match(
      err.message,
      /pw\.yaml:4: primary\.targets\[0\]\.kind: expected one of "icmp", "tcp", "http", got "ping"/,
    );
  });

  it('a loss rule needs its window', () => {
    const err = refused(MINIMAL.replace('primary:\n', 'primary:\n  rule: { kind: loss, percent: 30 }\n'));
    assert.match(err.message, /primary\.rule\.window_rounds: a required key is missing/);
  });
});

describe('pathwatch config: azure-route-table', () => {
  it('the shipped Azure example loads: two tables, two prefixes, the VPN as next hop', () => {
    const cfg = parsePathwatchConfig(AZURE_EXAMPLE, readFileSync(AZURE_EXAMPLE, 'utf8'));
    const [r] = cfg.routes;
    assert.equal(r?.kind, 'azure-route-table');
    assert.ok(r?.kind === 'azure-route-table');
    assert.deepEqual(r.route_tables, ['rt-app-1', 'rt-app-2']);
    assert.deepEqual(r.destinations, ['192.168.0.0/16', '172.20.0.0/16']);
    assert.equal(r.next_hop, '10.2.2.10');
  });

  it('a next hop that is not an IPv4 address, an IPv6 prefix and a pair-only key are refused by line', () => {
    const text = readFileSync(AZURE_EXAMPLE, 'utf8')
      .replace('next_hop: 10.2.2.10', 'next_hop: vpn.example')
      .replace('172.20.0.0/16]', '2001:db8::/32]')
      .replace('resource_group: hybrid-rg', 'resource_group: hybrid-rg\n    peer_next_hop: 10.2.2.11');
    const err = refused(text);
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [[27, 'routes[0].peer_next_hop']],
    );
    const semantic = refused(text.replace('\n    peer_next_hop: 10.2.2.11', ''));
    assert.deepEqual(
      semantic.issues.map((i) => [i.line, i.path]),
      [
        [21, 'routes[0].destinations[1]'],
        [23, 'routes[0].next_hop'],
      ],
    );
  });
});
