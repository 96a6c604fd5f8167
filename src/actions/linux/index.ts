// The Linux registry: a VIP (IPv4 with gratuitous ARP, IPv6 with unsolicited NAs) and a kernel route.
// No SDK, so loading it costs nothing.
import type { TSchema } from '@sinclair/typebox';
import type { ActionSpec, Registry, SpecContext } from '../kit/registry.js';
import { schemaIssues } from '../kit/spec-issues.js';
import { RouteSpecSchema, VipSpecSchema } from './spec.js';
import { linuxActionIssues } from './validate.js';

const SCHEMAS: Readonly<Record<string, TSchema>> = { vip: VipSpecSchema, route: RouteSpecSchema };

export const LINUX_REGISTRY: Registry = {
  mechanism: 'linux',
  kinds: Object.keys(SCHEMAS),
  cloud: false,
  schemas: SCHEMAS,
  validate: (spec: ActionSpec, context?: SpecContext) => {
    const schema = SCHEMAS[spec.kind];
    if (schema === undefined) return [{ path: 'kind', message: `not a Linux kind: "${spec.kind}"` }];
    const shape = schemaIssues(schema, spec);
    // Values after shape; the own-address and duplicate checks need the rest of the config.
    return shape.length > 0
      ? shape
      : linuxActionIssues(spec, context ?? { local_addresses: [], siblings: [spec] });
  },
  // The controller's network settings (src/controller/model/nodes.ts nodeSettings): the site's routed ranges
  // go via this node's own native gateway, the first address of its subnet (the reference's static routes).
  managed: {
    part: 'network',
    settings_key: 'network',
    kinds: { route: { destinations: 'routed', via: 'gateway' } },
    selects: { route: 'destinations' },
  },
  load: async () => (await import('./registry.js')).LINUX_MECHANISM,
};
