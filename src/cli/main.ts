// The `tandem` command: each subcommand lives in its own module under commands/ and registers itself here.
import { Command } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerController } from './commands/controller.js';
import { registerIamPolicy } from './commands/iam-policy.js';
import { registerLab } from './commands/lab.js';
import { registerPreflight } from './commands/preflight.js';
import { registerSim } from './commands/sim.js';
import { registerStatus } from './commands/status.js';
import { registerSwitchover } from './commands/switchover.js';
import { VERSION } from './version.js';

const program = new Command('tandem')
  .description('High-availability failover for a pair of appliances: LAN, AWS and Azure')
  .version(VERSION)
  .showHelpAfterError();

registerAgent(program);
registerController(program);
registerLab(program);
registerPreflight(program);
registerIamPolicy(program);
registerStatus(program);
registerSwitchover(program);
registerSim(program);

await program.parseAsync(process.argv);
