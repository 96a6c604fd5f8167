// The `tandem` command. Each subcommand lives in its own module under commands/ and is one line below.
// Only the command being run is loaded: an agent must not carry the simulator, the controller or a cloud
// SDK it does not use (memory on a small appliance); help and unknown words load them all.
import { VERSION } from './version.js';

// The version needs no command at all: answered before commander or any command module is loaded.
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  console.log(VERSION);
  process.exit(0);
}
const { Command } = await import('commander');

type Register = (program: InstanceType<typeof Command>) => void;

const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  agent: async () => (await import('./commands/agent.js')).registerAgent,
  controller: async () => (await import('./commands/controller.js')).registerController,
  lab: async () => (await import('./commands/lab.js')).registerLab,
  preflight: async () => (await import('./commands/preflight.js')).registerPreflight,
  'iam-policy': async () => (await import('./commands/iam-policy.js')).registerIamPolicy,
  status: async () => (await import('./commands/status.js')).registerStatus,
  switchover: async () => (await import('./commands/switchover.js')).registerSwitchover,
  sim: async () => (await import('./commands/sim.js')).registerSim,
  schema: async () => (await import('./commands/schema.js')).registerSchema,
};

const program = new Command('tandem')
  .description('High-availability failover for a pair of appliances: LAN, AWS and Azure')
  .version(VERSION)
  .showHelpAfterError();

const invoked = process.argv[2];
const load =
  invoked !== undefined && Object.hasOwn(COMMANDS, invoked) ? [COMMANDS[invoked]!] : Object.values(COMMANDS);
for (const register of await Promise.all(load.map((l) => l()))) register(program);

await program.parseAsync(process.argv);
