// The least-privilege Azure custom role for pathwatch's Azure routes (CLOUD.md §2.8): read the tables, write
// the failover routes and delete them on failback; the NIC read is discovery's (which NIC is ours, by MAC).
import { COMMON, ROUTE_DELETE, ROUTE_WRITE, type RoleDefinition } from '../actions/azure/role.js';
import type { AzureRouteSpec } from './config-schema.js';

export function pathwatchRole(specs: readonly AzureRouteSpec[]): RoleDefinition {
  const scopes = new Set(
    specs.map(
      (s) =>
        `/subscriptions/${s.subscription_id ?? '<subscription-id>'}/resourceGroups/${s.resource_group ?? '<resource-group>'}`,
    ),
  );
  return {
    Name: 'tandem pathwatch',
    IsCustom: true,
    Description:
      'Lets tandem pathwatch create and delete its failover routes to the backup appliance, and nothing else.',
    Actions: [...new Set([...COMMON, ...ROUTE_WRITE, ROUTE_DELETE])].sort(),
    NotActions: [],
    AssignableScopes: [...scopes].sort(),
  };
}
