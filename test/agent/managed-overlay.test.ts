// The managed parts laid over a local YAML (src/agent/managed.ts): which keys each part takes from the
// controller's settings, which stay the node's, and that the result is validated as a local config.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../src/agent/config.js';
import { effectiveConfig, type ManagedSettings } from '../../src/agent/managed.js';
import { agentValidators } from '../../src/agent/plugins.js';

const dir = mkdtempSync(join(tmpdir(), 'tda-overlay-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'pair.key'), 'c2VjcmV0LXBhaXIta2V5LW9mLWF0LWxlYXN0LTMyLWJ5dGVz\n');
const file = join(dir, 'node.yaml');
const load = (() => {
  const v = agentValidators();
  return { validateAction: v.validateAction, validateMonitor: v.validateMonitor, env: {} };
})();

const yaml = (managed: string) => `
pair: edge-1
node: fw-a
role: primary
pair_key_file: pair.key
interval_ms: 200
dead_multiplier: 4
preempt_delay_ms: 1000
controller_url: http://127.0.0.1:9
managed: ${managed}
paths:
  - name: ha
    local_address: 10.0.0.1
    peer_address: 10.0.0.2
actions:
  - kind: route
    destinations: []
    via: 10.0.1.254
  - kind: route
    destination: default
    via: 10.0.1.254
`;

const settings = (over: Record<string, unknown> = {}): ManagedSettings => ({
  ha_enabled: true,
  routed: ['10.50.0.0/16'],
  network: { routed: ['10.50.0.0/16', '10.60.0.0/16'], gateway: '10.0.1.1' },
  tunables: { interval_ms: 400, preempt: false, dead_multiplier: null },
  ...over,
});

test('network: a route written with destinations takes the ranges and the gateway; one with destination stays', () => {
  const { config } = effectiveConfig(file, yaml('[network]'), settings(), 7, load);
  assert.deepEqual(config.actions[0], {
    kind: 'route',
    destinations: ['10.50.0.0/16', '10.60.0.0/16'],
    via: '10.0.1.1',
  });
  assert.deepEqual(config.actions[1], { kind: 'route', destination: 'default', via: '10.0.1.254' });
  assert.equal(config.interval_ms, 200, 'tunables are not managed here');
});

test('tunables: the keys the site sets replace the YAML; unset and null ones stay the YAML', () => {
  const { config } = effectiveConfig(file, yaml('[tunables]'), settings(), 7, load);
  assert.equal(config.interval_ms, 400);
  assert.equal(config.preempt, false);
  assert.equal(config.dead_multiplier, 4);
  assert.equal(config.preempt_delay_ms, 1000);
  assert.deepEqual(config.actions[0]?.destinations, [], 'network is not managed here');
});

test('a managed value the node cannot use is refused with its path, as a local config would be', () => {
  const bad = settings({ tunables: { interval_ms: 5000 } });
  assert.throws(
    () => effectiveConfig(file, yaml('[network, tunables]'), bad, 9, load),
    (err: unknown) =>
      err instanceof ConfigError &&
      /settings v9/.test(err.message) &&
      err.issues.some((i) => i.path === 'preempt_delay_ms'),
  );
  const overlap = settings({ network: { routed: ['10.50.0.0/16', '10.50.0.0/16'], gateway: '10.0.1.1' } });
  assert.throws(
    () => effectiveConfig(file, yaml('[network]'), overlap, 10, load),
    (err: unknown) => err instanceof ConfigError && err.issues.some((i) => /destinations\/1/.test(i.path)),
  );
});
