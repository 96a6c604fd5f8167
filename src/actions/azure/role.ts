// The least-privilege Azure custom role for a set of configured azure-* actions (CLOUD.md §2.8). The same code
// prints `tandem azure-role`, names the missing action in preflight, and generated deploy/azure/role-*.json.
import type { AzureActionSpec } from './schema.js';

export interface RoleDefinition {
  readonly Name: string;
  readonly IsCustom: true;
  readonly Description: string;
  readonly Actions: readonly string[];
  readonly NotActions: readonly string[];
  readonly AssignableScopes: readonly string[];
}

const N = 'Microsoft.Network';

/** Every kind reads NICs (discovery by MAC, observe) and follows operations (LRO status). */
export const COMMON = [
  `${N}/networkInterfaces/read`,
  `${N}/locations/operations/read`,
  `${N}/locations/operationResults/read`,
];

export const FLOATING_WRITE = [`${N}/networkInterfaces/write`, `${N}/virtualNetworks/subnets/join/action`];
export const ROUTE_WRITE = [
  `${N}/routeTables/read`,
  `${N}/routeTables/routes/read`,
  `${N}/routeTables/routes/write`,
];

/** Pathwatch deletes its failover routes on failback (a pair node only ever rewrites next hops). */
export const ROUTE_DELETE = `${N}/routeTables/routes/delete`;

/** The write-side actions (checked by preflight at the resource group). */
export function writesFor(specs: readonly AzureActionSpec[]): string[] {
  return [
    ...new Set(specs.flatMap((s) => (s.kind === 'azure-floating-ip' ? FLOATING_WRITE : ROUTE_WRITE))),
  ].sort();
}

export function actionsFor(specs: readonly AzureActionSpec[]): string[] {
  const out = new Set(COMMON);
  for (const s of specs)
    for (const a of s.kind === 'azure-floating-ip' ? FLOATING_WRITE : ROUTE_WRITE) out.add(a);
  return [...out].sort();
}

/**
 * Scopes: the resource groups the config names, else a placeholder to fill in. Assign the role at the groups of
 * the NICs, the route tables and the VNet (the subnet `join` check runs on the VNet's group).
 */
export function roleFor(specs: readonly AzureActionSpec[]): RoleDefinition {
  const scopes = new Set<string>();
  for (const s of specs)
    scopes.add(
      `/subscriptions/${s.subscription_id ?? '<subscription-id>'}/resourceGroups/${s.resource_group ?? '<resource-group>'}`,
    );
  return {
    Name: 'tandem failover',
    IsCustom: true,
    Description:
      'Lets a tandem node move its floating IPs and rewrite its route next hops, and nothing else.',
    Actions: actionsFor(specs),
    NotActions: [],
    AssignableScopes: [...scopes].sort(),
  };
}
