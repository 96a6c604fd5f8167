import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodePlan } from '../../bench/failover/system.js';
import { tandemConfig } from '../../bench/failover/tandem-system.js';

const plan: NodePlan = {
  name: 'a',
  role: 'primary',
  ns: 'unused',
  ifname: 'lan0',
  address: '10.77.0.11',
  peer_address: '10.77.0.12',
  ha: { ifname: 'ha0', address: '10.78.0.11', peer_address: '10.78.0.12' },
  vip: '10.77.0.100',
  prefix: 24,
  interval_ms: 20,
  preempt: true,
  dir: 'unused',
};

test('the tandem node config matches the keepalived one: interval, 3 intervals dead, preempt, VIP', () => {
  const cfg = tandemConfig(plan);
  assert.equal(cfg.interval_ms, 20);
  assert.equal(cfg.dead_multiplier, 3);
  assert.equal(cfg.preempt, true);
  assert.deepEqual(cfg.actions, [{ kind: 'vip', interface: 'lan0', address: '10.77.0.100/24' }]);
});

test('the tandem node keeps alive on both links when the LAN has two, and on one otherwise', () => {
  assert.deepEqual(
    (tandemConfig(plan).paths as { name: string }[]).map((p) => p.name),
    ['lan', 'ha'],
  );
  const { ha: _ha, ...single } = plan;
  assert.deepEqual(tandemConfig(single).paths, [
    { name: 'lan', local_address: '10.77.0.11', peer_address: '10.77.0.12' },
  ]);
});
