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
