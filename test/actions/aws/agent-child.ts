// `tandem agent` as a child process with the aws-* actions registered: the same shell (config, transport,
// core, action runner) the CLI runs, plus src/cli/aws-actions.ts's one-line plugin composition.
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../../src/agent/config.js';
import { startAgent } from '../../../src/agent/node.js';
import { agentPlugins } from '../../../src/agent/plugins.js';
import { validateAnyAction, withAwsActions } from '../../../src/cli/aws-actions.js';

const file = process.argv[2];
if (!file) throw new Error('usage: agent-child.ts CONFIG');
let cfg: ReturnType<typeof loadConfig>;
try {
  cfg = loadConfig(file, { validateAction: validateAnyAction });
} catch (err) {
  if (err instanceof ConfigError) console.error(err.message);
  process.exit(2);
}
const log = pino({ level: cfg.log_level, base: { node: cfg.node } });
const agent = await startAgent(cfg, { plugins: withAwsActions(agentPlugins(), log), log });
process.once('SIGTERM', () => void agent.shutdown().then(() => process.exit(0)));
