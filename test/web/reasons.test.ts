// The dashboard's plain-words reasons and its timeline maths, without a browser.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SiteFacts } from '../../src/controller/api-words.js';
import { EVENT_TYPES as SCHEMA_EVENT_TYPES } from '../../src/controller/schema.js';
import { aloneReasons, headline, reasonsOf } from '../../src/web/reasons.js';
import { failovers, segments } from '../../src/web/timeline.js';
import {
  type EventView,
  healthOf,
  type NodeBrief,
  EVENT_TYPES as WEB_EVENT_TYPES,
} from '../../src/web/types.js';

function node(over: Partial<NodeBrief> = {}): NodeBrief {
  return {
    state: 'standby',
    stale: false,
    reported: true,
    enrolled: true,
    version: '1.4.2',
    wan_ok: true,
    hears_peer: true,
    wan_down: [],
    last_report_at: 1,
    ...over,
  };
}

describe('reasons', () => {
  test('a healthy pair has no reason', () => {
    const r = reasonsOf({ ha_enabled: true, primary: node({ state: 'active' }), secondary: node() });
    assert.deepEqual(r, { connected: [], keepalive: [], same_version: [] });
  });

  test('Connected names the WAN probes that failed', () => {
    const r = reasonsOf({
      ha_enabled: true,
      primary: node({ state: 'active', wan_ok: false, wan_down: ['isp1', 'lte'] }),
      secondary: node({ wan_ok: false }),
    });
    assert.deepEqual(r.connected, [
      "the primary's WAN probes isp1, lte failed",
      'the secondary has no WAN connectivity',
    ]);
  });

  test('Keepalive says who is active and who does not hear whom', () => {
    const both = reasonsOf({
      ha_enabled: true,
      primary: node({ state: 'active' }),
      secondary: node({ state: 'active' }),
    });
    assert.deepEqual(both.keepalive, ['both nodes are active']);
    const deaf = reasonsOf({
      ha_enabled: true,
      primary: node({ state: 'maintenance' }),
      secondary: node({ hears_peer: false }),
    });
    assert.deepEqual(deaf.keepalive, [
      'no node is active',
      'the primary is in maintenance',
      "the secondary does not hear the primary's keepalives",
    ]);
  });

  test('Same version names both versions when the major differs, and only then', () => {
    const minor = reasonsOf({
      ha_enabled: true,
      primary: node({ state: 'active', version: '1.5.0' }),
      secondary: node(),
    });
    assert.deepEqual(minor.same_version, []);
    const major = reasonsOf({
      ha_enabled: true,
      primary: node({ state: 'active', version: '2.0.0' }),
      secondary: node(),
    });
    assert.deepEqual(major.same_version, [
      'the primary runs 2.0.0 and the secondary 1.4.2 (major versions differ)',
    ]);
  });

  test('a node unheard of is the reason for every indicator', () => {
    const r = reasonsOf({
      ha_enabled: true,
      primary: node({ state: 'active' }),
      secondary: node({ stale: true }),
    });
    assert.deepEqual(r.connected, ['the secondary stopped reporting (stale)']);
    assert.deepEqual(r.keepalive, r.connected);
    const fresh = reasonsOf({
      ha_enabled: true,
      primary: node(),
      secondary: node({ enrolled: false, reported: false }),
    });
    assert.deepEqual(fresh.same_version, ['the secondary is not enrolled yet']);
  });

  test('HA off: a lone primary is judged alone; a missing secondary is never the reason', () => {
    const alone = (p: NodeBrief | null) =>
      headline({ ha_enabled: false, split_brain: false, primary: p, secondary: null });
    assert.equal(alone(node({ state: 'active' })), 'no secondary node: HA is off');
    assert.equal(alone(node({ state: 'fault' })), 'the primary is in fault');
    assert.equal(
      alone(node({ state: 'active', wan_ok: false, wan_down: ['isp1'] })),
      "the primary's WAN probe isp1 failed",
    );
    assert.equal(alone(node({ stale: true })), 'the primary stopped reporting (stale)');
    assert.equal(alone(null), 'no node yet: add the primary');
    assert.deepEqual(aloneReasons(node({ state: 'standby', wan_ok: false })), [
      'the primary has no WAN connectivity',
      'the primary is standby',
    ]);
  });
});

describe('health words (the controller’s own, compiled into the dashboard)', () => {
  const facts = (over: Partial<SiteFacts> = {}): SiteFacts => ({
    kind: 'aws',
    ha_enabled: true,
    ready: true,
    split_brain: false,
    nodes: { primary: { stale: false, last_report_at: 1 }, secondary: { stale: false, last_report_at: 1 } },
    ...over,
  });

  test('a lone primary that is fine is HA off; in trouble it is Not Ready or Stale, never filed under HA off', () => {
    const lone = { primary: { stale: false, last_report_at: 1 }, secondary: null };
    assert.equal(healthOf(facts({ ha_enabled: false, nodes: lone })), 'ha-off');
    assert.equal(healthOf(facts({ ha_enabled: false, ready: false, nodes: lone })), 'not-ready');
    assert.equal(
      healthOf(
        facts({
          ha_enabled: false,
          ready: false,
          nodes: { ...lone, primary: { stale: true, last_report_at: 1 } },
        }),
      ),
      'stale',
    );
    assert.equal(
      healthOf(facts({ ha_enabled: false, ready: false, nodes: { primary: null, secondary: null } })),
      'ha-off',
    );
    assert.equal(healthOf(facts({ ready: false })), 'not-ready');
    // A pathwatch runs alone by design: Ready or Not Ready, never HA off.
    assert.equal(healthOf(facts({ kind: 'pathwatch', ha_enabled: false, nodes: lone })), 'ready');
    assert.equal(
      healthOf(facts({ kind: 'pathwatch', ha_enabled: false, ready: false, nodes: lone })),
      'not-ready',
    );
    assert.equal(healthOf(facts({ ready: false, split_brain: true })), 'split-brain');
  });

  test('the dashboard offers every event type the controller records', () => {
    assert.deepEqual([...WEB_EVENT_TYPES], [...SCHEMA_EVENT_TYPES]);
    assert.ok(WEB_EVENT_TYPES.includes('settings-refused') && WEB_EVENT_TYPES.includes('operator-command'));
  });
});

function change(id: number, at: number, role: string, from: string | null, to: string): EventView {
  return { id, type: 'state-change', site_id: 's', node_id: role, at, details: { role, from, to } };
}

describe('timeline', () => {
  const w = { from: 1000, to: 2000 };

  test('each node’s state over the window, from its changes; no change means the current state throughout', () => {
    const segs = segments(
      [change(2, 1500, 'primary', 'active', 'fault'), change(1, 900, 'primary', 'standby', 'active')],
      w,
      { primary: 'fault', secondary: 'standby' },
    );
    assert.deepEqual(segs, [
      { role: 'primary', state: 'active', from: 1000, to: 1500 },
      { role: 'primary', state: 'fault', from: 1500, to: 2000 },
      { role: 'secondary', state: 'standby', from: 1000, to: 2000 },
    ]);
  });

  test('before the first change in the window, the node was in that change’s "from" state', () => {
    const segs = segments([change(1, 1200, 'secondary', 'standby', 'active')], w, {
      primary: null,
      secondary: 'active',
    });
    assert.deepEqual(
      segs.filter((s) => s.role === 'secondary'),
      [
        { role: 'secondary', state: 'standby', from: 1000, to: 1200 },
        { role: 'secondary', state: 'active', from: 1200, to: 2000 },
      ],
    );
    assert.deepEqual(
      segs.filter((s) => s.role === 'primary'),
      [{ role: 'primary', state: 'unknown', from: 1000, to: 2000 }],
    );
  });

  test('a failover stands where the secondary became active, with how long the claim took', () => {
    const ev: EventView = {
      id: 7,
      type: 'failover',
      site_id: 's',
      node_id: 'n',
      at: 1900,
      details: { active_since: 1300, active_for_ms: 600, claim_ms: 850 },
    };
    const outside = { ...ev, id: 8, details: { active_since: 500 } };
    assert.deepEqual(failovers([ev, outside], w), [
      { event_id: 7, at: 1300, claim_ms: 850, active_for_ms: 600 },
    ]);
  });
});
