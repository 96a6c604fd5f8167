// One least-privilege policy command per registry that has one (`tandem iam-policy` for AWS, `tandem azure-role`
// for Azure): the document for a config's actions, or for the example of one kind.
import type { Command } from 'commander';
import type { PolicyCommand, Registry } from '../../actions/kit/registry.js';
import { REGISTRIES } from '../../actions/registries.js';
import { ConfigError } from '../../agent/config.js';
import { readSpecsOf } from '../action-specs.js';

export function registerPolicies(program: Command): void {
  for (const registry of REGISTRIES) if (registry.policy) registerPolicy(program, registry, registry.policy);
}

function registerPolicy(program: Command, registry: Registry, policy: PolicyCommand): void {
  const name = policy.command;
  const kinds = Object.keys(policy.examples);
  program
    .command(name)
    .description(policy.description)
    .option('-c, --config <file>', 'the node config (YAML; only its actions are read) or a pathwatch config')
    .option('--example <kind>', `the document for an example config of one kind (${kinds.join(', ')})`)
    .action(async (opts: { config?: string; example?: string }) => {
      if ((opts.config === undefined) === (opts.example === undefined)) {
        console.error(`tandem ${name}: give exactly one of --config FILE or --example KIND`);
        process.exitCode = 2;
        return;
      }
      if (opts.example !== undefined) {
        const prefixed = `${registry.mechanism}-${opts.example}`;
        const kind = kinds.includes(opts.example) ? opts.example : prefixed;
        const example = policy.examples[kind];
        if (example === undefined) {
          console.error(
            `tandem ${name}: --example expects one of ${kinds.join(', ')}, got "${opts.example}"`,
          );
          process.exitCode = 2;
          return;
        }
        console.log(JSON.stringify(policy.generate([example]), null, 2));
        return;
      }
      try {
        if (await printPathwatchPolicy(opts.config!, registry.mechanism)) return;
        console.log(JSON.stringify(policy.generate(readSpecsOf(opts.config!, registry)), null, 2));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(err.message);
        process.exitCode = 2;
      }
    });
}

/** A pathwatch config's cloud routes have their own, smaller documents (they create and delete routes only). */
async function printPathwatchPolicy(file: string, mechanism: string): Promise<boolean> {
  const { isPathwatchFile, loadPathwatchConfig } = await import('../../pathwatch/config.js');
  if (!isPathwatchFile(file)) return false;
  const routes = loadPathwatchConfig(file).routes;
  const kind = `${mechanism}-route-table`;
  const none = (): ConfigError =>
    new ConfigError(file, [
      { path: 'routes', message: `expected a ${kind} entry for this command, found none` },
    ]);
  if (mechanism === 'aws') {
    const { pathwatchPolicy } = await import('../../pathwatch/iam-policy.js');
    const aws = routes.filter((r) => r.kind === 'aws-route-table');
    if (aws.length === 0) throw none();
    console.log(JSON.stringify(pathwatchPolicy(aws), null, 2));
    return true;
  }
  if (mechanism === 'azure') {
    const { pathwatchRole } = await import('../../pathwatch/azure-role.js');
    const azure = routes.filter((r) => r.kind === 'azure-route-table');
    if (azure.length === 0) throw none();
    console.log(JSON.stringify(pathwatchRole(azure), null, 2));
    return true;
  }
  throw none();
}
