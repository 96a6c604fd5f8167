// The AWS lab: the simulated cloud with one VPC, two appliance instances in two availability zones (each
// with its LAN ENI and its own instance role), and a route table whose 0.0.0.0/0 and overlay /32 follow
// the active node. Agents run on loopback (127.x.y.1 and .2), keepalives through the lab's relay, and use
// the metadata service of their own simulated instance, exactly as on EC2. No root needed.
import { join } from 'node:path';
import { policyFor } from '../../actions/aws/iam-policy.js';
import type { AwsActionSpec } from '../../actions/aws/schema.js';
import type { Scenario, Sim } from '../../sim/index.js';
import type { CloudRig, LabCloud, NodeName, StartContext, TrafficOwner } from '../types.js';
import { LAB_EXTRA_DESTINATION, startLoopback } from './loopback.js';

const RTB = 'rtb-0000000000000100';
const ENI = { a: 'eni-0000000000000000a', b: 'eni-0000000000000000b' } as const;
const INSTANCE = { a: 'i-0000000000000000a', b: 'i-0000000000000000b' } as const;
const LAN = {
  a: { subnet: '10.0.1.0/24', ip: '10.0.1.10', az: 'us-east-1a' },
  b: { subnet: '10.0.2.0/24', ip: '10.0.2.10', az: 'us-east-1b' },
} as const;
export const DESTINATIONS = ['0.0.0.0/0', '192.168.200.1/32'] as const;
const ACCOUNT = '123456789012';

/** The route-table action each node runs; the peer's ENI is the other node's. */
function routeSpec(node: NodeName, sim: Sim | null): AwsActionSpec {
  const peer: NodeName = node === 'a' ? 'b' : 'a';
  return {
    kind: 'aws-route-table',
    name: 'lan-routes',
    route_tables: [RTB],
    destinations: [...DESTINATIONS],
    peer_eni_id: ENI[peer],
    account_id: ACCOUNT,
    observe_interval_ms: 1000,
    ...(sim ? { endpoint: sim.aws_url, imds_url: sim.imds_urls[INSTANCE[node]] ?? '' } : {}),
  } as AwsActionSpec;
}

function simulatedWorld(): Scenario {
  // Each role gets exactly what `tandem iam-policy` prints for its config: the lab proves it suffices.
  const policy = (node: NodeName) =>
    policyFor([routeSpec(node, null)]).Statement.map((s) => ({
      actions: [...s.Action],
      resources: typeof s.Resource === 'string' ? [s.Resource] : [...s.Resource],
    }));
  const instance = (node: NodeName) => ({
    name: `node-${node}`,
    id: INSTANCE[node],
    subnet: `lan-${node}`,
    private_ip: LAN[node].ip,
    identity: `node-${node}`,
    source_dest_check: false,
    primary_eni: { name: `node-${node}-lan`, id: ENI[node] },
  });
  return {
    seed: 8,
    identities: [
      { name: 'node-a', policy: policy('a') },
      { name: 'node-b', policy: policy('b') },
    ],
    aws: {
      region: 'us-east-1',
      account_id: ACCOUNT,
      vpcs: [
        {
          name: 'lab',
          cidr: '10.0.0.0/16',
          subnets: [
            { name: 'lan-a', cidr: LAN.a.subnet, az: LAN.a.az },
            { name: 'lan-b', cidr: LAN.b.subnet, az: LAN.b.az },
          ],
          route_tables: [
            {
              name: 'private',
              id: RTB,
              subnets: ['lan-a', 'lan-b'],
              routes: DESTINATIONS.map((destination) => ({ destination, target: 'node-a-lan' })),
            },
          ],
        },
      ],
      instances: [instance('a'), instance('b')],
    },
  };
}

export const awsCloud: LabCloud = {
  name: 'aws',
  summary: 'simulated EC2: two instances in two AZs, route-table failover (no root needed)',
  unavailable: () => null,
  start: startAws,
};

async function startAws(ctx: StartContext): Promise<CloudRig> {
  const world = await startLoopback(ctx, simulatedWorld());
  const { sim } = world;
  let faultsSince = 0;
  return {
    ...world.rig,
    site: {
      kind: 'aws',
      cloud: { aws: { route_tables: [RTB], destinations: [...DESTINATIONS] } },
      // One more destination routed via the pair: the active node writes it as soon as it applies it.
      change: {
        what: `add ${LAB_EXTRA_DESTINATION} to the site's route destinations`,
        cloud: { aws: { route_tables: [RTB], destinations: [...DESTINATIONS, LAB_EXTRA_DESTINATION] } },
      },
    },
    api_name: 'EC2',
    traffic_figure: 'routes_confirmed_ms',
    trafficText: (node) => `every route at node-${node}'s ENI ${ENI[node]} (read back from EC2)`,
    describe: [
      `simulated EC2 at ${sim.aws_url} (API latency ${ctx.timing.api_latency_ms} ms)`,
      `VPC 10.0.0.0/16: node-a ${INSTANCE.a} in ${LAN.a.az} (LAN ENI ${ENI.a}), node-b ${INSTANCE.b} in ${LAN.b.az} (LAN ENI ${ENI.b})`,
      `route table ${RTB}: ${DESTINATIONS.join(', ')} → the active node's LAN ENI`,
      world.keepalives,
    ],
    nodeParts: (node) => ({
      ...world.parts(node),
      actions: [routeSpec(node, sim) as unknown as Record<string, unknown>],
      // Credentials the way EC2 hands them out: the SDK's chain ends at the instance role in metadata.
      env: {
        AWS_EC2_METADATA_SERVICE_ENDPOINT: sim.imds_urls[INSTANCE[node]] ?? '',
        AWS_CONFIG_FILE: join(ctx.dir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(ctx.dir, 'no-aws-credentials'),
      },
      mgmt_ip: LAN[node].ip,
      subnet: LAN[node].subnet,
    }),
    observeTraffic: async () => routeOwner(sim),
    apiFaults: {
      set(on) {
        const latency = ctx.timing.api_latency_ms;
        const base = latency > 0 ? { latency_ms: latency } : {};
        if (!on) {
          for (const action of ['ReplaceRoute', 'CreateRoute', 'DescribeRouteTables'])
            sim.faults.clear(action);
          return;
        }
        faultsSince = sim.calls.last_seq();
        // EC2-style throttling of the writes (one token, one per second) and 5xx on a third of the reads.
        sim.faults.set({ action: 'ReplaceRoute', throttle_per_s: 1, ...base });
        sim.faults.set({ action: 'CreateRoute', throttle_per_s: 1, ...base });
        sim.faults.set({
          action: 'DescribeRouteTables',
          error_rate: 0.35,
          error_status: 503,
          error_code: 'Unavailable',
          ...base,
        });
      },
      errors: () =>
        sim.calls.list({ since_seq: faultsSince, cloud: 'aws' }).filter((c) => c.status >= 500).length,
    },
    apiCalls: () => sim.calls.list({ cloud: 'aws' }).length,
    trafficWrites: () =>
      sim.calls
        .list({ cloud: 'aws' })
        .filter((c) => (c.action === 'ReplaceRoute' || c.action === 'CreateRoute') && c.status < 300).length,
  };
}

function routeOwner(sim: Sim): TrafficOwner {
  const views = sim.state.routeTable(RTB).route_views;
  const owners = DESTINATIONS.map((d) => {
    const r = views.find((v) => v.destination === d);
    if (r === undefined || r.state !== 'active') return 'none';
    if (r.target_id === ENI.a) return 'a';
    if (r.target_id === ENI.b) return 'b';
    return 'none';
  });
  const first = owners[0] ?? 'none';
  return owners.every((o) => o === first) ? first : 'mixed';
}
