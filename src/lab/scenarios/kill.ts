// kill: the active agent dies without a word (SIGKILL); the standby takes over after the dead interval.
import type { LabScenario } from '../types.js';
import { failoverAndBack } from './common.js';

export const kill: LabScenario = {
  name: 'kill',
  summary: 'SIGKILL the active agent; the survivor takes over; restart it; preemption brings it back',
  supports: () => true,
  run: (ctx) =>
    failoverAndBack(ctx, {
      fail: { text: 'kill -9 node-a (the active agent)', run: () => ctx.agents.a.kill('SIGKILL') },
      recover: { text: 'restart node-a', run: () => ctx.restart('a') },
    }),
};
