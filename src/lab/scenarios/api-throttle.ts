// api-throttle: the cloud API throttles the route writes and fails a third of the reads with 5xx while
// the active node dies. The survivor's bounded retries must still land every route, and back again.
import type { LabScenario } from '../types.js';
import { failoverAndBack } from './common.js';

export const apiThrottle: LabScenario = {
  name: 'api-throttle',
  summary:
    'EC2 throttles route writes (1/s) and answers 35 % of reads with 503 while node-a is killed and restarted',
  supports: (cloud) => cloud === 'aws',
  run: async (ctx) => {
    const faults = ctx.rig.apiFaults;
    if (!faults) throw new Error('api-throttle needs a cloud with an API');
    ctx.act(
      'cloud API: throttle ReplaceRoute/CreateRoute to 1 per second, 35 % of DescribeRouteTables → 503',
    );
    faults.set(true);
    try {
      await failoverAndBack(ctx, {
        fail: { text: 'kill -9 node-a (the active agent)', run: () => ctx.agents.a.kill('SIGKILL') },
        recover: { text: 'restart node-a', run: () => ctx.restart('a') },
      });
    } finally {
      ctx.figure('api_errors', faults.errors());
      faults.set(false);
    }
  },
};
