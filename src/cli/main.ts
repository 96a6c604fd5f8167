// The `tandem` command: each subcommand lives in its own module under commands/ and registers itself here.
import { Command } from 'commander';
import { registerController } from './commands/controller.js';
import { registerLab } from './commands/lab.js';
import { registerSim } from './commands/sim.js';
import { VERSION } from './version.js';

const program = new Command('tandem')
  .description('High-availability failover for a pair of appliances: LAN, AWS and Azure')
  .version(VERSION)
  .showHelpAfterError();

registerController(program);
registerLab(program);
registerSim(program);

await program.parseAsync(process.argv);
