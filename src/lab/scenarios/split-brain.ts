// split-brain: the keepalive path is cut both ways while both nodes are healthy. The standby takes over,
// so both are active; the controller shows it; the cloud target must not flap between them (the active
// node's arbiter sees the peer holding the routes and does not fight). Healed, the pair converges to one.
import { StepFailedError } from '../errors.js';
import type { LabScenario } from '../types.js';
import { deadlines, sleep, waitReady } from './common.js';

export const splitBrain: LabScenario = {
  name: 'split-brain',
  summary: 'cut the keepalives both ways: both active, the traffic does not flap; heal: one active again',
  supports: () => true,
  run: async (ctx) => {
    const d = deadlines(ctx);
    const { a, b } = ctx.agents;
    const cutAt = ctx.act('cut the keepalive path both ways');
    await ctx.rig.setKeepalives('both', false);
    await ctx.until(
      'both nodes active (split brain)',
      d.detect_ms,
      () => a.state === 'active' && b.state === 'active',
    );
    ctx.figure('detection_ms', (b.entered('active', cutAt) ?? Date.now()) - cutAt);
    const movedAt = await ctx.until(
      ctx.rig.trafficText('b'),
      d.traffic_ms,
      async () => (await ctx.rig.observeTraffic()) === 'b',
    );
    ctx.figure(ctx.rig.traffic_figure, movedAt - cutAt);
    await ctx.until(
      'controller: split brain shown',
      d.ready_ms,
      async () => (await ctx.controller.status()).split_brain,
    );
    // Hold the partition: node-a must not take the routes back while it cannot hear node-b.
    const writes = ctx.rig.trafficWrites();
    const hold_ms = Math.max(2000, 5 * ctx.timing.dead_ms);
    ctx.act(`hold the partition ${hold_ms} ms: the traffic must stay where it is`);
    const end = Date.now() + hold_ms;
    while (Date.now() < end) {
      const owner = await ctx.rig.observeTraffic();
      if (owner !== 'b')
        throw new StepFailedError(
          'the traffic stays put during the split brain',
          hold_ms,
          `it moved to ${owner}`,
        );
      await sleep(20);
    }
    const after = ctx.rig.trafficWrites();
    if (writes !== null && after !== null) {
      ctx.figure('route_writes_during_split', after - writes);
      if (after !== writes)
        throw new StepFailedError(
          'no route writes during the split brain',
          hold_ms,
          `${after - writes} writes`,
        );
    }
    ctx.timeline.line('✓ the traffic stayed put: no flapping between two active nodes');
    const healAt = ctx.act('heal the keepalive path');
    await ctx.rig.setKeepalives('both', true);
    await ctx.until(
      'one active again: node-a active, node-b standby',
      d.ready_ms,
      () => a.state === 'active' && b.state === 'standby',
    );
    const backAt = await ctx.until(
      ctx.rig.trafficText('a'),
      d.traffic_ms,
      async () => (await ctx.rig.observeTraffic()) === 'a',
    );
    ctx.figure('failback_ms', backAt - healAt);
    const readyAt = await waitReady(ctx, 'controller: Ready again', d.ready_ms);
    ctx.figure('ready_again_ms', readyAt - healAt);
  },
};
