// The Linux registry: a VIP with gratuitous ARP and a kernel route. No SDK, so loading it costs nothing.
import type { TSchema } from '@sinclair/typebox';
import type { ActionSpec, Registry } from '../kit/registry.js';
import { schemaIssues } from '../kit/spec-issues.js';
import { RouteSpecSchema, VipSpecSchema } from './spec.js';

const SCHEMAS: Readonly<Record<string, TSchema>> = { vip: VipSpecSchema, route: RouteSpecSchema };

export const LINUX_REGISTRY: Registry = {
  mechanism: 'linux',
  kinds: Object.keys(SCHEMAS),
  cloud: false,
  validate: (spec: ActionSpec) => {
    const schema = SCHEMAS[spec.kind];
    return schema === undefined
      ? [{ path: 'kind', message: `not a Linux kind: "${spec.kind}"` }]
      : schemaIssues(schema, spec);
  },
  load: async () => (await import('./registry.js')).LINUX_MECHANISM,
};
