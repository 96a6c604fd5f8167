// switchover: the operator moves the role with `tandem switchover` (the agent's admin API), and back.
import type { LabScenario } from '../types.js';
import { failoverAndBack } from './common.js';

export const switchover: LabScenario = {
  name: 'switchover',
  summary:
    '`tandem switchover` on node-a hands the role to node-b; `tandem switchover` on node-b hands it back',
  supports: () => true,
  run: (ctx) =>
    failoverAndBack(ctx, {
      fail: { text: 'tandem switchover (on node-a, the active node)', run: () => ctx.switchover('a') },
      recover: { text: 'tandem switchover (on node-b, now active)', run: () => ctx.switchover('b') },
    }),
};
