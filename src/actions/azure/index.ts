// The Azure registry: what the agent, `tandem preflight`, `tandem azure-role` and the lab know of Azure. Light:
// @azure/arm-network and @azure/identity load only through `load()`, when a config has azure-* actions.
import type { ActionSpec, Registry } from '../kit/registry.js';
import { EXAMPLE_SPECS } from './examples.js';
import { roleFor } from './role.js';
import { AZURE_SCHEMAS, type AzureActionSpec } from './schema.js';
import { AZURE_KINDS, validateAzureAction } from './validate.js';

export const AZURE_REGISTRY: Registry = {
  mechanism: 'azure',
  kinds: AZURE_KINDS,
  cloud: true,
  validate: (spec, context) => validateAzureAction(spec, context),
  schemas: AZURE_SCHEMAS,
  // The controller's Azure settings (src/controller/schema.ts AzureSettings): the site's floating IP is the
  // azure-floating-ip action's address; its route tables and prefixes are the azure-route-table action's.
  managed: {
    part: 'cloud',
    settings_key: 'azure',
    kinds: {
      'azure-floating-ip': { address: 'floating_ip' },
      'azure-route-table': { route_tables: 'route_tables', prefixes: 'prefixes' },
    },
  },
  load: async () => (await import('./registry.js')).AZURE_MECHANISM,
  policy: {
    command: 'azure-role',
    description: 'print the least-privilege Azure custom role for the azure-* actions of a node config',
    examples: EXAMPLE_SPECS as Readonly<Record<string, ActionSpec>>,
    generate: (specs) => roleFor(specs as unknown as AzureActionSpec[]),
  },
};
