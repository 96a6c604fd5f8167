// The Linux registry: a VIP (IPv4 with gratuitous ARP, IPv6 with unsolicited NAs) and a kernel route.
// No SDK, so loading it costs nothing.
import type { TSchema } from '@sinclair/typebox';
import type { ActionSpec, Registry } from '../kit/registry.js';
import { schemaIssues } from '../kit/spec-issues.js';
import { RouteSpecSchema, type VipSpec, VipSpecSchema } from './spec.js';
import { vipIssues } from './vip-address.js';

const SCHEMAS: Readonly<Record<string, TSchema>> = { vip: VipSpecSchema, route: RouteSpecSchema };

export const LINUX_REGISTRY: Registry = {
  mechanism: 'linux',
  kinds: Object.keys(SCHEMAS),
  cloud: false,
  validate: (spec: ActionSpec) => {
    const schema = SCHEMAS[spec.kind];
    if (schema === undefined) return [{ path: 'kind', message: `not a Linux kind: "${spec.kind}"` }];
    const issues = schemaIssues(schema, spec);
    // Past the shape: what the runtime cannot do, so that `--check` refuses exactly that.
    if (issues.length > 0 || spec.kind !== 'vip') return issues;
    return vipIssues(spec as unknown as VipSpec);
  },
  load: async () => (await import('./registry.js')).LINUX_MECHANISM,
};
