// split-brain: the keepalive path is cut both ways while both nodes are healthy. The standby takes over,
// so both are active; the controller shows it. Where a cloud arbitrates, core decides who keeps the
// target: the primary's arbiter sees the peer holding the routes and takes them back once; the secondary
// does not fight; then nothing moves. Healed, the pair converges to one.
import { StepFailedError } from '../errors.js';
import type { LabScenario } from '../types.js';
import { backToPrimary, deadlines, sleep } from './common.js';

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
    // Where a cloud arbitrates (route tables), the primary takes the routes back once (core's split-brain
    // rule) and then nothing may move. On a LAN both nodes hold the VIP: clients follow whichever answers
    // ARP last, which is what a split brain means there; the lab reports what the client saw.
    const arbitrated = ctx.rig.trafficWrites() !== null;
    const hold_ms = Math.max(2000, 5 * ctx.timing.dead_ms);
    if (arbitrated)
      await ctx.until('the primary takes the routes back once (the cloud as arbiter)', hold_ms, async () => {
        return (await ctx.rig.observeTraffic()) === 'a';
      });
    const writes = ctx.rig.trafficWrites();
    ctx.act(`hold the partition ${hold_ms} ms${arbitrated ? ': the traffic must stay at node-a' : ''}`);
    const seen = { a: 0, b: 0, none: 0, mixed: 0 };
    const end = Date.now() + hold_ms;
    while (Date.now() < end) {
      const owner = await ctx.rig.observeTraffic();
      seen[owner]++;
      if (arbitrated && owner !== 'a')
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
    if (!arbitrated) {
      const total = seen.a + seen.b + seen.none + seen.mixed;
      ctx.timeline.line(
        `  the client saw node-b ${seen.b}/${total}, node-a ${seen.a}/${total}, no answer ${seen.none}/${total}`,
      );
    }
    if (arbitrated)
      ctx.timeline.line('✓ the traffic stayed at the primary: no flapping between two active nodes');
    const healAt = ctx.act('heal the keepalive path');
    await ctx.rig.setKeepalives('both', true);
    await backToPrimary(ctx, healAt, 'one active again: node-a active, node-b standby');
  },
};
