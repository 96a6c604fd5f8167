import type { Command } from 'commander';
import { EXAMPLE_SPECS } from '../../actions/aws/examples.js';
import { policyFor } from '../../actions/aws/iam-policy.js';
import { AWS_KINDS, isAwsKind } from '../../actions/aws/registry.js';
import { ConfigError } from '../../agent/config.js';
import { readAwsSpecs } from '../aws-actions.js';

export function registerIamPolicy(program: Command): void {
  program
    .command('iam-policy')
    .description(
      'print the least-privilege IAM policy for the aws-* actions of a node config or a pathwatch config',
    )
    .option('-c, --config <file>', 'the node config (YAML); only its actions are read')
    .option('--example <kind>', `the policy for an example config of one kind (${AWS_KINDS.join(', ')})`)
    .action(async (opts: { config?: string; example?: string }) => {
      if ((opts.config === undefined) === (opts.example === undefined)) {
        console.error('tandem iam-policy: give exactly one of --config FILE or --example KIND');
        process.exitCode = 2;
        return;
      }
      if (opts.example !== undefined) {
        const kind = opts.example.startsWith('aws-') ? opts.example : `aws-${opts.example}`;
        if (!isAwsKind(kind)) {
          console.error(
            `tandem iam-policy: --example expects one of ${AWS_KINDS.join(', ')}, got "${opts.example}"`,
          );
          process.exitCode = 2;
          return;
        }
        console.log(JSON.stringify(policyFor([EXAMPLE_SPECS[kind]]), null, 2));
        return;
      }
      try {
        const { isPathwatchFile, loadPathwatchConfig } = await import('../../pathwatch/config.js');
        if (isPathwatchFile(opts.config!)) {
          const { pathwatchPolicy } = await import('../../pathwatch/iam-policy.js');
          const aws = loadPathwatchConfig(opts.config!).routes.filter((r) => r.kind === 'aws-route-table');
          if (aws.length === 0) {
            console.error(`${opts.config}: routes: no aws-route-table entry, so no IAM policy is needed`);
            process.exitCode = 2;
            return;
          }
          console.log(JSON.stringify(pathwatchPolicy(aws), null, 2));
          return;
        }
        console.log(JSON.stringify(policyFor(readAwsSpecs(opts.config!)), null, 2));
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(err.message);
        process.exitCode = 2;
      }
    });
}
