// A simulated Azure VNet for pathwatch: two application route tables whose on-premises route comes from the
// ExpressRoute gateway (BGP; no user-defined route), a VPN appliance (the backup next hop), a firewall whose
// user-defined route pathwatch must not overwrite, and the watcher's VM. The watcher's identity holds exactly
// what `pathwatchRole` prints, so every test also proves the generated role suffices.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathwatchRole } from '../../src/pathwatch/azure-role.js';
import type { AzureRouteSpec } from '../../src/pathwatch/config-schema.js';
import type { Scenario } from '../../src/sim/scenario-schema.js';
import { type Sim, startSim } from '../../src/sim/server.js';

export const SUB = '00000000-0000-4000-8000-00000000a017';
export const RG = 'hybrid-rg';
export const RT_1 = 'rt-app-1';
export const RT_2 = 'rt-app-2';
export const VPN_IP = '10.2.2.10';
export const FIREWALL_IP = '10.2.2.20';
export const ONPREM = '192.168.0.0/16';
export const ONPREM_2 = '172.20.0.0/16';
export const ONPREM_HOST = '192.168.10.10';

export function azureRoutes(
  sim: Sim | null,
  ca: string,
  extra: Partial<AzureRouteSpec> = {},
): AzureRouteSpec {
  return {
    kind: 'azure-route-table',
    route_tables: [RT_1, RT_2],
    destinations: [ONPREM, ONPREM_2],
    next_hop: VPN_IP,
    subscription_id: SUB,
    resource_group: RG,
    ...(sim
      ? { arm_endpoint: sim.azure_url, arm_ca_file: ca, imds_url: sim.imds_urls['azure/watcher'] }
      : {}),
    ...extra,
  };
}

export function azureScenario(): Scenario {
  const role = pathwatchRole([azureRoutes(null, '')]);
  const vm = (name: string, ip: string, identity?: string, forwarding = false) => ({
    name,
    ...(identity ? { identity } : {}),
    nics: [
      {
        name: `${name}-nic`,
        enable_ip_forwarding: forwarding,
        ip_configurations: [
          {
            name: 'ipconfig1',
            private_ip: ip,
            subnet: `vnet/${name === 'watcher' ? 'app' : 'edge'}`,
            primary: true,
          },
        ],
      },
    ],
  });
  return {
    seed: 17,
    identities: [
      { name: 'pathwatch', policy: [{ actions: [...role.Actions], resources: ['*'] }] },
      { name: 'reader', policy: [{ actions: ['Microsoft.Network/*/read'], resources: ['*'] }] },
    ],
    azure: {
      subscription_id: SUB,
      resource_group: RG,
      route_update_delay_ms: 100,
      lro_retry_after_s: null,
      vnets: [
        {
          name: 'vnet',
          cidr: '10.2.0.0/16',
          subnets: [
            { name: 'app', cidr: '10.2.1.0/24' },
            { name: 'edge', cidr: '10.2.2.0/24' },
          ],
        },
      ],
      route_tables: [
        {
          name: RT_1,
          subnets: ['vnet/app'],
          // A route pathwatch does not configure: failback must leave it alone.
          routes: [
            {
              name: 'spoke',
              prefix: '10.50.0.0/16',
              next_hop_type: 'VirtualAppliance',
              next_hop_ip: FIREWALL_IP,
            },
          ],
        },
        // Used by a subnet: a table none uses is a failed prerequisite in the preflight.
        { name: RT_2, subnets: ['vnet/edge'], routes: [] },
      ],
      vms: [
        vm('vpn', VPN_IP, undefined, true),
        vm('firewall', FIREWALL_IP, undefined, true),
        vm('watcher', '10.2.1.5', 'pathwatch'),
      ],
    },
  } as unknown as Scenario;
}

export function startAzureSim(): Promise<Sim> {
  return startSim({ scenario: azureScenario() });
}

export function caFileOf(sim: Sim): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tdpw-')), 'arm-ca.pem');
  writeFileSync(file, sim.azure_ca_pem);
  return file;
}

/** The applied next hop of each route in one table, by prefix (what the data plane follows). */
export function udrs(sim: Sim, table: string): Record<string, string> {
  sim.state.azure.settle();
  const t = Object.values(sim.state.azure.data.route_tables).find((x) => x.name === table)!;
  return Object.fromEntries(
    t.routes
      .filter((r) => r.applied)
      .map((r) => [r.address_prefix, `${r.applied!.next_hop_type} ${r.applied!.next_hop_ip ?? ''}`.trim()]),
  );
}

/** Where a table sends an on-premises host: our UDR, or `bgp` (no UDR matches: the gateway's route applies). */
export function effectiveAzure(sim: Sim, table: string, ip = ONPREM_HOST): string {
  const t = Object.values(sim.state.azure.data.route_tables).find((x) => x.name === table)!;
  const r = sim.state.azure.effectiveRoute(t.id, ip);
  return r ? `${r.next_hop_type} ${r.next_hop_ip ?? ''}`.trim() : 'bgp';
}
