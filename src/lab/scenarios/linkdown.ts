// linkdown: the active node's LAN link dies. Physical: its switch port goes down (carrier loss), so its
// link monitor says down and keepalives stop. AWS: an ENI has no carrier, so the lab fails the node's LAN
// health check and cuts its keepalives — what a dead LAN interface looks like from inside an instance.
import type { LabScenario } from '../types.js';
import { failoverAndBack } from './common.js';

export const linkdown: LabScenario = {
  name: 'linkdown',
  summary: "the active node's LAN link goes down; the peer takes over; the link comes back; preemption",
  monitors: ['link'],
  supports: () => true,
  run: (ctx) =>
    failoverAndBack(ctx, {
      fail: { text: "node-a's LAN link down", run: () => ctx.rig.setLink('a', false) },
      afterFailover: async () => {
        await ctx.until(
          'node-a steps down (fault: its LAN link is down)',
          10_000 + 4 * ctx.timing.dead_ms,
          () => ctx.agents.a.state === 'fault',
        );
      },
      recover: { text: "node-a's LAN link up", run: () => ctx.rig.setLink('a', true) },
    }),
};
