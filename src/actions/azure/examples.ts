// One example config per Azure action kind: the shipped deploy/azure/role-<kind>.json files are generated from
// these (`tandem azure-role --example <kind>`), and a test checks that they still match the generator.
import type { AzureActionSpec, AzureKind } from './schema.js';

export const EXAMPLE_SPECS: Record<AzureKind, AzureActionSpec> = {
  'azure-floating-ip': {
    kind: 'azure-floating-ip',
    address: '10.1.1.100',
    peer_nic: 'fw-b-nic',
    subscription_id: '00000000-0000-0000-0000-000000000000',
    resource_group: 'fw-rg',
  },
  'azure-route-table': {
    kind: 'azure-route-table',
    route_tables: ['rt-spokes', 'rt-gateway'],
    prefixes: ['0.0.0.0/0'],
    peer_next_hop: '10.1.1.11',
    subscription_id: '00000000-0000-0000-0000-000000000000',
    resource_group: 'fw-rg',
  },
};

export function exampleFileName(kind: AzureKind): string {
  return `role-${kind.replace(/^azure-/, '')}.json`;
}
