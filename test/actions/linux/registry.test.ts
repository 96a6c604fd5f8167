import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { createLinuxAction } from '../../../src/actions/linux/registry.js';
import { LinuxActionSpecSchema } from '../../../src/actions/linux/spec.js';
import { MonitorSpecSchema } from '../../../src/monitors/spec.js';

test('the action registry builds each kind from its plain spec', () => {
  const vip = createLinuxAction({ kind: 'vip', interface: 'eth1', address: '192.0.2.10/24' });
  assert.equal(vip.kind, 'vip');
  assert.equal(vip.name, 'vip eth1 192.0.2.10/24');
  const route = createLinuxAction({ kind: 'route', destination: '10.0.0.0/8', via: '192.0.2.1' });
  assert.equal(route.kind, 'route');
  assert.equal(route.name, 'route 10.0.0.0/8 via 192.0.2.1');
});

test('spec schemas reject unknown keys and out-of-range values, with the path', () => {
  const typo = { kind: 'vip', interface: 'eth1', address: '192.0.2.10/24', garp: { cuont: 3 } };
  const errors = [...Value.Errors(LinuxActionSpecSchema, typo)];
  assert.ok(errors.length > 0);
  assert.ok(
    Value.Check(MonitorSpecSchema, { kind: 'icmp', name: 'gw', target: '192.0.2.1', interval_ms: 500 }),
  );
  assert.equal(
    Value.Check(MonitorSpecSchema, { kind: 'icmp', name: 'gw', target: '192.0.2.1', interval_ms: 1 }),
    false,
  );
  const [tcpErr] = [
    ...Value.Errors(MonitorSpecSchema.anyOf[2], { kind: 'tcp', name: 't', host: 'h', port: 70000 }),
  ];
  assert.equal(tcpErr?.path, '/port');
});

test('a route takes exactly one of destination and destinations; a list holds networks, each once', async () => {
  const { LINUX_REGISTRY } = await import('../../../src/actions/linux/index.js');
  const issues = (spec: Record<string, unknown>) =>
    LINUX_REGISTRY.validate({ kind: 'route', via: '192.0.2.1', ...spec }).map(
      (i) => `${i.path}: ${i.message}`,
    );
  assert.deepEqual(issues({ destinations: ['10.1.0.0/16', '10.2.0.0/16'] }), []);
  assert.deepEqual(issues({ destinations: [] }), []);
  assert.match(issues({})[0] ?? '', /^destination: expected exactly one of destination .* neither/);
  assert.match(
    issues({ destination: '10.1.0.0/16', destinations: ['10.2.0.0/16'] })[0] ?? '',
    /exactly one of destination/,
  );
  assert.deepEqual(issues({ destinations: ['10.1.0.5/16'] }), [
    'destinations/0: expected a network address (did you mean 10.1.0.0/16?), got "10.1.0.5/16"',
  ]);
  assert.match(issues({ destinations: ['010.1.0.0/16'] })[0] ?? '', /^destinations\/0: expected a network/);
  assert.deepEqual(issues({ destinations: ['10.1.0.0/16', '10.3.0.0/24', '10.1.0.0/16'] }), [
    'destinations/2: expected each network once, 10.1.0.0/16 is already destinations/0',
  ]);
  assert.match(issues({ destinations: ['default'] })[0] ?? '', /^destinations\/0:/);
});

test('--check refuses a VIP interface name the announcer (socat) would read as its own syntax', async () => {
  const { LINUX_REGISTRY } = await import('../../../src/actions/linux/index.js');
  const issues = (iface: string) =>
    LINUX_REGISTRY.validate({ kind: 'vip', interface: iface, address: '192.0.2.10/24' }).map(
      (i) => `${i.path}: ${i.message}`,
    );
  assert.deepEqual(issues('eth1.100'), []);
  assert.deepEqual(issues('br-lan@x_1'), []);
  assert.deepEqual(issues('eth,1'), [
    'interface: expected an interface name of at most 15 letters, digits and _ . @ -, got "eth,1"',
  ]);
});
