import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ControllerError } from '../../src/controller/errors.js';
import { networkView, validateNetwork } from '../../src/controller/model/network.js';
import { checkHostIp, checkNoOverlap, gatewayOf, parseSubnet } from '../../src/controller/model/ranges.js';

function code(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ControllerError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('network ranges', () => {
  test('the gateway of a range is the network address + 1', () => {
    assert.equal(gatewayOf(parseSubnet('10.0.3.0/24', '/s')), '10.0.3.1');
    assert.equal(gatewayOf(parseSubnet('10.0.16.0/20', '/s')), '10.0.16.1');
  });

  test('a subnet that is not a network address is refused with the right one suggested', () => {
    assert.throws(() => parseSubnet('10.0.3.7/24', '/subnet'), /did you mean 10\.0\.3\.0\/24/);
    assert.equal(
      code(() => parseSubnet('nonsense', '/subnet')),
      'invalid-subnet',
    );
    assert.equal(
      code(() => parseSubnet('fd00::/64', '/subnet')),
      'invalid-subnet',
    );
    assert.equal(
      code(() => parseSubnet('10.0.0.0/30', '/subnet')),
      'invalid-subnet',
    );
  });

  test('in a cloud subnet the first four and the last address are reserved', () => {
    const s = parseSubnet('10.0.3.0/24', '/s');
    for (const ip of ['10.0.3.0', '10.0.3.1', '10.0.3.2', '10.0.3.3', '10.0.3.255']) {
      assert.equal(
        code(() => checkHostIp(ip, s, 'aws', '/ip')),
        'ip-reserved',
        ip,
      );
    }
    assert.equal(
      code(() => checkHostIp('10.0.3.4', s, 'aws', '/ip')),
      'ok',
    );
    assert.equal(
      code(() => checkHostIp('10.0.3.254', s, 'azure', '/ip')),
      'ok',
    );
  });

  test('on a physical LAN only network, gateway and broadcast are refused', () => {
    const s = parseSubnet('192.168.1.0/24', '/s');
    assert.equal(
      code(() => checkHostIp('192.168.1.1', s, 'physical', '/ip')),
      'ip-reserved',
    );
    assert.equal(
      code(() => checkHostIp('192.168.1.255', s, 'physical', '/ip')),
      'ip-reserved',
    );
    assert.equal(
      code(() => checkHostIp('192.168.1.2', s, 'physical', '/ip')),
      'ok',
    );
  });

  test('an address outside its subnet is refused', () => {
    const s = parseSubnet('10.0.3.0/24', '/s');
    assert.equal(
      code(() => checkHostIp('10.0.4.10', s, 'aws', '/ip')),
      'ip-outside-subnet',
    );
    assert.equal(
      code(() => checkHostIp('10.0.3', s, 'aws', '/ip')),
      'invalid-request',
    );
  });

  test('overlapping ranges are refused, the same native LAN for both nodes is not', () => {
    const a = parseSubnet('10.0.0.0/16', '/s');
    const b = parseSubnet('10.0.5.0/24', '/s');
    assert.equal(
      code(() =>
        checkNoOverlap(
          [
            { name: 'a', subnet: a, native: false },
            { name: 'b', subnet: b, native: false },
          ],
          '/s',
        ),
      ),
      'ranges-overlap',
    );
    assert.equal(
      code(() =>
        checkNoOverlap(
          [
            { name: 'a', subnet: b, native: true },
            { name: 'b', subnet: b, native: true },
          ],
          '/s',
        ),
      ),
      'ok',
    );
    assert.equal(
      code(() =>
        checkNoOverlap(
          [
            { name: 'a', subnet: a, native: true },
            { name: 'b', subnet: b, native: true },
          ],
          '/s',
        ),
      ),
      'ranges-overlap',
    );
  });

  test('a physical pair of two different models is refused', () => {
    const nodes = [
      { role: 'primary' as const, model: 'X1600', mgmt_ip: '192.168.1.2', subnet: '192.168.1.0/24' },
      { role: 'secondary' as const, model: 'X1700', mgmt_ip: '192.168.1.3', subnet: '192.168.1.0/24' },
    ];
    assert.equal(
      code(() => validateNetwork({ kind: 'physical', cloud: {}, nodes, ranges: [] })),
      'model-mismatch',
    );
    // Two vendors' VMs in a cloud are not an appliance model: only physical pairs must match.
    const cloud = nodes.map((n, i) => ({ ...n, mgmt_ip: `192.168.1.${10 + i}` }));
    assert.equal(
      code(() => validateNetwork({ kind: 'aws', cloud: {}, nodes: cloud, ranges: [] })),
      'ok',
    );
  });

  test('the Azure floating IP must lie inside the native range and replaces the local IP', () => {
    const nodes = [
      { role: 'primary' as const, model: 'vm', mgmt_ip: '10.102.2.10', subnet: '10.102.2.0/24' },
      { role: 'secondary' as const, model: 'vm', mgmt_ip: '10.102.2.11', subnet: '10.102.2.0/24' },
    ];
    const outside = {
      kind: 'azure' as const,
      cloud: { azure: { floating_ip: '10.102.3.200' } },
      nodes,
      ranges: [],
    };
    assert.equal(
      code(() => validateNetwork(outside)),
      'floating-ip-outside-range',
    );
    const net = {
      kind: 'azure' as const,
      cloud: { azure: { floating_ip: '10.102.2.200' } },
      nodes,
      ranges: [],
    };
    assert.equal(
      code(() => validateNetwork(net)),
      'ok',
    );
    const view = networkView(net, 'primary');
    assert.deepEqual(
      view.native.map((n) => n.local_ip),
      ['10.102.2.200', '10.102.2.200'],
    );
  });

  test('routed ranges use the gateway of the active node’s native range', () => {
    const net = {
      kind: 'aws' as const,
      cloud: {},
      nodes: [
        { role: 'primary' as const, model: 'vm', mgmt_ip: '10.0.3.10', subnet: '10.0.3.0/24' },
        { role: 'secondary' as const, model: 'vm', mgmt_ip: '10.0.17.10', subnet: '10.0.17.0/24' },
      ],
      ranges: [{ name: 'apps', subnet: '10.0.25.0/24' }],
    };
    assert.equal(networkView(net, 'primary').routed[0]!.gateway, '10.0.3.1');
    assert.equal(networkView(net, 'secondary').routed[0]!.gateway, '10.0.17.1');
    assert.equal(networkView(net, 'none').routed[0]!.gateway, '10.0.3.1');
  });
});
