// The Azure lab: the simulated ARM (HTTPS) with one VNet subnet, two appliance VMs (each NIC with IP forwarding
// and its own managed identity holding exactly what `tandem azure-role` prints), a route table whose routes follow
// the active node (fast) and a floating IP that moves between the NICs (a NIC update each way, with progress on
// the timeline). Agents run on loopback, keepalives through the lab's relay, metadata and tokens from their VM's
// simulated IMDS. No root needed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { roleFor } from '../../actions/azure/role.js';
import type { AzureActionSpec } from '../../actions/azure/schema.js';
import type { Scenario, Sim } from '../../sim/index.js';
import type { CloudRig, LabCloud, NodeName, StartContext, TrafficOwner } from '../types.js';
import { LAB_EXTRA_DESTINATION, startLoopback } from './loopback.js';

const SUBNET = '10.1.1.0/24';
const IP = { a: '10.1.1.10', b: '10.1.1.11' } as const;
const FLOAT = '10.1.1.100';
const PREFIXES = ['0.0.0.0/0', '192.168.200.0/24'] as const;
/** Short enough for a lab run, long enough that the routes visibly switch first. */
const NIC_DELAY_MS = 5000;

function actions(node: NodeName, sim: Sim | null, ca: string): AzureActionSpec[] {
  const peer: NodeName = node === 'a' ? 'b' : 'a';
  const conn = sim
    ? { arm_endpoint: sim.azure_url, arm_ca_file: ca, imds_url: sim.imds_urls[`azure/node-${node}`] ?? '' }
    : {};
  return [
    {
      kind: 'azure-route-table',
      name: 'lan-routes',
      route_tables: ['rt-lan'],
      prefixes: [...PREFIXES],
      peer_next_hop: IP[peer],
      resource_group: 'tandem-lab',
      observe_interval_ms: 1000,
      ...conn,
    },
    {
      kind: 'azure-floating-ip',
      name: 'floating-ip',
      address: FLOAT,
      peer_nic: `node-${peer}-nic`,
      resource_group: 'tandem-lab',
      observe_interval_ms: 2000,
      ...conn,
    },
  ] as AzureActionSpec[];
}

function simulatedWorld(): Scenario {
  const role = (node: NodeName) => [
    { actions: [...roleFor(actions(node, null, '')).Actions], resources: ['*'] },
  ];
  const vm = (node: NodeName) => ({
    name: `node-${node}`,
    identity: `node-${node}`,
    nics: [
      {
        name: `node-${node}-nic`,
        enable_ip_forwarding: true,
        ip_configurations: [
          // The portal's newer default name on one side: the driver finds the primary by its flag.
          {
            name: node === 'a' ? 'ipconfig1' : 'ipv4config',
            private_ip: IP[node],
            subnet: 'vnet1/lan',
            primary: true,
          },
          ...(node === 'a' ? [{ name: 'floating', private_ip: FLOAT, subnet: 'vnet1/lan' }] : []),
        ],
      },
    ],
  });
  return {
    seed: 9,
    identities: [
      { name: 'node-a', policy: role('a') },
      { name: 'node-b', policy: role('b') },
    ],
    azure: {
      resource_group: 'tandem-lab',
      nic_update_delay_ms: NIC_DELAY_MS,
      route_update_delay_ms: 500,
      lro_retry_after_s: 1,
      vnets: [{ name: 'vnet1', cidr: '10.1.0.0/16', subnets: [{ name: 'lan', cidr: SUBNET }] }],
      route_tables: [
        {
          name: 'rt-lan',
          subnets: ['vnet1/lan'],
          routes: PREFIXES.map((prefix, i) => ({
            name: `r${i}`,
            prefix,
            next_hop_type: 'VirtualAppliance',
            next_hop_ip: IP.a,
          })),
        },
      ],
      vms: [vm('a'), vm('b')],
    },
  } as unknown as Scenario;
}

export const azureCloud: LabCloud = {
  name: 'azure',
  summary: 'simulated Azure: route next hops (fast) and a floating IP between two NICs (no root needed)',
  unavailable: () => null,
  start: startAzure,
};

async function startAzure(ctx: StartContext): Promise<CloudRig> {
  const world = await startLoopback(ctx, simulatedWorld());
  const { sim } = world;
  const ca = join(ctx.dir, 'arm-ca.pem');
  try {
    writeFileSync(ca, sim.azure_ca_pem);
  } catch (err) {
    await world.rig.stop();
    throw err;
  }
  return {
    ...world.rig,
    // The floating IP, the route table and its prefixes come from the controller's site (managed settings).
    site: {
      kind: 'azure',
      cloud: { azure: { floating_ip: FLOAT, route_tables: ['rt-lan'], prefixes: [...PREFIXES] } },
      change: {
        what: `add ${LAB_EXTRA_DESTINATION} to the site's route prefixes`,
        cloud: {
          azure: {
            floating_ip: FLOAT,
            route_tables: ['rt-lan'],
            prefixes: [...PREFIXES, LAB_EXTRA_DESTINATION],
          },
        },
      },
    },
    api_name: 'ARM',
    traffic_figure: 'routes_confirmed_ms',
    trafficText: (node) => `every route's next hop at node-${node} (${IP[node]}); the floating IP follows`,
    describe: [
      `simulated ARM at ${sim.azure_url} (HTTPS; API latency ${ctx.timing.api_latency_ms} ms; NIC update ${NIC_DELAY_MS} ms)`,
      `subnet ${SUBNET}: node-a ${IP.a} (primary ipconfig1), node-b ${IP.b} (primary ipv4config)`,
      `route table rt-lan: ${PREFIXES.join(', ')} → the active node; floating IP ${FLOAT} on its NIC`,
      world.keepalives,
    ],
    nodeParts: (node) => ({
      ...world.parts(node),
      actions: actions(node, sim, ca) as unknown as Record<string, unknown>[],
      env: {},
      mgmt_ip: IP[node],
      subnet: SUBNET,
    }),
    observeTraffic: async () => routeOwner(sim),
    apiCalls: () => sim.calls.list({ cloud: 'azure' }).length,
    // Route writes only: a floating IP move already under way when core decides (a NIC update takes
    // seconds) finishes its own step; it is not a flap.
    trafficWrites: () =>
      sim.calls
        .list({ cloud: 'azure', action: 'Microsoft.Network/routeTables/routes/write' })
        .filter((c) => c.status < 300).length,
  };
}

/** Where the data plane sends each prefix (routes whose update completed). */
function routeOwner(sim: Sim): TrafficOwner {
  const table = Object.values(sim.state.azure.data.route_tables).find((t) => t.name === 'rt-lan');
  const owners = PREFIXES.map((p) => {
    const hop = table
      ? sim.state.azure.effectiveRoute(table.id, p.replace(/\/\d+$/, ''))?.next_hop_ip
      : undefined;
    return hop === IP.a ? 'a' : hop === IP.b ? 'b' : 'none';
  });
  const first = owners[0] ?? 'none';
  return owners.every((o) => o === first) ? first : 'mixed';
}
