// The agent's metrics across a reload (the series of what was removed go, new ones start at 0, kept
// ones keep counting) and through a long verb's phases (one in-flight series at a time, idle at 0).
// The scrape of a real agent is test/agent/e2e-metrics.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/agent/metrics.js';

const view = { status: () => null, inState_ms: () => 0, peerSilence: () => ({}) };

function lines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

test('a reload keeps the counts of kept actions and monitors, drops removed ones, starts new ones at 0', async () => {
  const m = createMetrics(view, {
    paths: ['lan'],
    actions: ['vip eth1 192.0.2.10/24', 'route 10.0.0.0/8 via 192.0.2.1'],
    monitors: [
      { name: 'web check', kind: 'check' },
      { name: 'uplink', kind: 'link' },
    ],
  });
  m.actionDone({ action: 'vip eth1 192.0.2.10/24', verb: 'claim', ok: true, duration_ms: 12, code: null });
  m.actionDone({
    action: 'route 10.0.0.0/8 via 192.0.2.1',
    verb: 'claim',
    ok: false,
    duration_ms: 5,
    code: 'ROUTE_REPLACE_FAILED',
  });
  m.monitorReading('web check', true);
  m.monitorReading('not configured', true);

  m.inventory({
    paths: ['lan'],
    actions: ['vip eth1 192.0.2.10/24', 'vip eth1 192.0.2.11/24'],
    monitors: [
      { name: 'web check', kind: 'check' },
      { name: 'db', kind: 'check' },
    ],
  });
  const text = await m.registry.metrics();
  const actions = lines(text, 'tandem_actions_total');
  assert.ok(
    actions.includes('tandem_actions_total{action="vip_eth1_192.0.2.10/24",verb="claim",outcome="ok"} 1'),
    'kept',
  );
  assert.ok(
    actions.includes('tandem_actions_total{action="vip_eth1_192.0.2.11/24",verb="claim",outcome="ok"} 0'),
    'new at 0',
  );
  assert.ok(!actions.some((l) => l.includes('route_10.0.0.0/8')), 'removed action gone');
  assert.ok(
    text.includes(
      'tandem_action_failures_total{action="route_10.0.0.0/8_via_192.0.2.1",verb="claim",code="ROUTE_REPLACE_FAILED"} 1',
    ),
  );
  const up = lines(text, 'tandem_monitor_up');
  assert.deepEqual(up.sort(), [
    'tandem_monitor_up{monitor="db",kind="check"} 0',
    'tandem_monitor_up{monitor="web_check",kind="check"} 1',
  ]);
  assert.ok(!text.includes('not_configured'), 'a reading of an unknown monitor adds no series');
  assert.ok(text.includes('tandem_keepalives_rejected_total{path="lan",reason="unknown-source"} 0'));
});

test('a long verb has one in-flight series at a time, and 0 with phase "idle" when it is over', async () => {
  const m = createMetrics(view, {
    paths: [],
    actions: ['azure-floating-ip 10.0.0.5 (peer nic-b)'],
    monitors: [],
  });
  const inFlight = async () => lines(await m.registry.metrics(), 'tandem_action_in_flight_seconds').sort();
  const action = 'azure-floating-ip_10.0.0.5_(peer_nic-b)';
  assert.deepEqual(await inFlight(), [
    `tandem_action_in_flight_seconds{action="${action}",verb="claim",phase="idle"} 0`,
    `tandem_action_in_flight_seconds{action="${action}",verb="release",phase="idle"} 0`,
  ]);
  m.actionPhase('azure-floating-ip 10.0.0.5 (peer nic-b)', 'claim', 'peer-nic-update', 1500);
  m.actionPhase('azure-floating-ip 10.0.0.5 (peer nic-b)', 'claim', 'own-nic-update', 4000);
  assert.deepEqual(await inFlight(), [
    `tandem_action_in_flight_seconds{action="${action}",verb="claim",phase="own-nic-update"} 4`,
    `tandem_action_in_flight_seconds{action="${action}",verb="release",phase="idle"} 0`,
  ]);
  m.actionPhase('azure-floating-ip 10.0.0.5 (peer nic-b)', 'claim', null, 0);
  assert.ok(
    (await inFlight()).includes(
      `tandem_action_in_flight_seconds{action="${action}",verb="claim",phase="idle"} 0`,
    ),
  );
  assert.equal((await inFlight()).length, 2);
});
