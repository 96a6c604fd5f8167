// The AWS registry: what the agent, `tandem preflight`, `tandem iam-policy` and the lab know of AWS. Light: the
// SDK loads only through `load()`, when a config has aws-* actions.
import type { ActionSpec, Registry } from '../kit/registry.js';
import { EXAMPLE_SPECS } from './examples.js';
import { policyFor } from './iam-policy.js';
import { AWS_SCHEMAS, type AwsActionSpec } from './schema.js';
import { AWS_KINDS, validateAwsAction } from './validate.js';

export const AWS_REGISTRY: Registry = {
  mechanism: 'aws',
  kinds: AWS_KINDS,
  cloud: true,
  validate: (spec) => validateAwsAction(spec),
  schemas: AWS_SCHEMAS,
  // The controller's AWS settings (src/controller/schema.ts AwsSettings) are exactly the route-table keys.
  managed: {
    part: 'cloud',
    settings_key: 'aws',
    kinds: { 'aws-route-table': { route_tables: 'route_tables', destinations: 'destinations' } },
  },
  load: async () => (await import('./registry.js')).AWS_MECHANISM,
  policy: {
    command: 'iam-policy',
    description: 'print the least-privilege IAM policy for the aws-* actions of a node config',
    examples: EXAMPLE_SPECS as Readonly<Record<string, ActionSpec>>,
    generate: (specs) => policyFor(specs as unknown as AwsActionSpec[]),
  },
};
