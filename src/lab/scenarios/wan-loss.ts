// wan-loss: every WAN probe of the active node fails (the lab stops the target it probes). After the
// relinquish delay it announces relinquish and the peer, whose WAN is fine, takes over at once.
import type { LabScenario } from '../types.js';
import { failoverAndBack } from './common.js';

export const wanLoss: LabScenario = {
  name: 'wan-loss',
  summary:
    "node-a's WAN probe target goes dark; after the relinquish delay node-b takes over; WAN back; preemption",
  monitors: ['wan'],
  supports: () => true,
  run: (ctx) =>
    failoverAndBack(ctx, {
      fail: { text: "node-a's WAN target stops answering", run: () => ctx.rig.setWan('a', false) },
      extra_detection_ms: ctx.timing.wan_loss_relinquish_ms,
      recover: { text: "node-a's WAN target answers again", run: () => ctx.rig.setWan('a', true) },
    }),
};
