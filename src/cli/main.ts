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

/**
 * The agent's bundle (scripts/bundle-agent.js, part of `npm run build`) when it sits beside this
 * file's directory: the same code in a few modules instead of a thousand, which keeps the agent's
 * memory small. A source checkout run through tsx has none, and a bundle older than the compiled
 * modules (a build by tsc alone) is stale: the modules themselves are loaded then.
 */
async function agentEntry(): Promise<string> {
  const modules = './commands/agent.js';
  const bundle = new URL('../agent-bundle/agent.mjs', import.meta.url);
  if (bundle.protocol !== 'file:') return modules;
  const { statSync } = await import('node:fs');
  const built = statSync(bundle, { throwIfNoEntry: false });
  const compiled = statSync(new URL(modules, import.meta.url), { throwIfNoEntry: false });
  return built !== undefined && compiled !== undefined && built.mtimeMs >= compiled.mtimeMs
    ? bundle.href
    : modules;
}

const COMMANDS: Record<string, () => Promise<Register>> = {
  agent: async () =>
    ((await import(await agentEntry())) as typeof import('./commands/agent.js')).registerAgent,
  controller: async () => (await import('./commands/controller.js')).registerController,
  lab: async () => (await import('./commands/lab.js')).registerLab,
  pathwatch: async () => (await import('./commands/pathwatch.js')).registerPathwatch,
  preflight: async () => (await import('./commands/preflight.js')).registerPreflight,
  status: async () => (await import('./commands/status.js')).registerStatus,
  switchover: async () => (await import('./commands/switchover.js')).registerSwitchover,
  sim: async () => (await import('./commands/sim.js')).registerSim,
  schema: async () => (await import('./commands/schema.js')).registerSchema,
  import: async () => (await import('./commands/import.js')).registerImport,
};

// The least-privilege policy commands come from the registries (`tandem iam-policy`, `tandem azure-role`); they
// are looked up only when the word is not one of the commands above, so an agent does not load them.
const invoked = process.argv[2];
if (invoked === undefined || !Object.hasOwn(COMMANDS, invoked)) {
  const policies = async (): Promise<Register> => (await import('./commands/policy.js')).registerPolicies;
  for (const r of (await import('../actions/registries.js')).REGISTRIES)
    if (r.policy) COMMANDS[r.policy.command] = policies;
}

const program = new Command('tandem')
  .description('High-availability failover for a pair of appliances: LAN, AWS and Azure')
  .version(VERSION)
  .showHelpAfterError();

const load =
  invoked !== undefined && Object.hasOwn(COMMANDS, invoked)
    ? [COMMANDS[invoked]!]
    : [...new Set(Object.values(COMMANDS))];
for (const register of await Promise.all(load.map((l) => l()))) register(program);

await program.parseAsync(process.argv);
