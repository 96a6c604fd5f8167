// The AWS lab: the simulated cloud with one VPC, two appliance instances in two availability zones (each
// with its LAN ENI and its own instance role), and a route table whose 0.0.0.0/0 and overlay /32 follow
// the active node. Agents run on loopback (127.x.y.1 and .2), keepalives through the lab's relay, and use
// the metadata service of their own simulated instance, exactly as on EC2. No root needed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { policyFor } from '../../actions/aws/iam-policy.js';
import type { AwsActionSpec } from '../../actions/aws/schema.js';
import type { Scenario } from '../../sim/index.js';
import { type Sim, startSim } from '../../sim/index.js';
import { KeepaliveRelay } from '../relay.js';
import type {
  CloudRig,
  LabCloud,
  NodeName,
  NodeParts,
  SpawnedProcess,
  StartContext,
  TrafficOwner,
} from '../types.js';
import { WanTarget } from '../wan-target.js';

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

function world(): Scenario {
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
  // A private 127.x.y.0/24 per run, so parallel labs and tests never hear each other.
  const x = 100 + Math.floor(Math.random() * 150);
  const y = Math.floor(Math.random() * 250);
  const addr = (n: number) => `127.${x}.${y}.${n}`;
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const sim = await startSim({ scenario: world() });
  const stoppers: (() => Promise<void> | void)[] = [() => sim.close()];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse()) await s();
  };
  try {
    if (ctx.timing.api_latency_ms > 0) sim.faults.set({ action: '*', latency_ms: ctx.timing.api_latency_ms });
    const relay = await KeepaliveRelay.open({
      a: addr(1),
      b: addr(2),
      face_of_a: addr(11),
      face_of_b: addr(12),
      port,
    });
    stoppers.push(() => relay.close());
    const wan = { a: new WanTarget(addr(21), port), b: new WanTarget(addr(22), port) };
    for (const w of Object.values(wan)) {
      await w.start();
      stoppers.push(() => w.stop());
    }
    const linkFile = (node: NodeName) => join(ctx.dir, `lan-down-${node}`);
    let faultsSince = 0;
    const rig: CloudRig = {
      site: { kind: 'aws', aws: { route_tables: [RTB], destinations: [...DESTINATIONS] } },
      traffic_figure: 'routes_confirmed_ms',
      trafficText: (node) => `every route at node-${node}'s ENI ${ENI[node]} (read back from EC2)`,
      describe: [
        `simulated EC2 at ${sim.aws_url} (API latency ${ctx.timing.api_latency_ms} ms)`,
        `VPC 10.0.0.0/16: node-a ${INSTANCE.a} in ${LAN.a.az} (LAN ENI ${ENI.a}), node-b ${INSTANCE.b} in ${LAN.b.az} (LAN ENI ${ENI.b})`,
        `route table ${RTB}: ${DESTINATIONS.join(', ')} → the active node's LAN ENI`,
        `keepalives: ${addr(1)} ⇄ relay ⇄ ${addr(2)} UDP ${port}, unicast`,
      ],
      nodeParts: (node) => nodeParts(node, sim, ctx, addr, port, wan[node], linkFile(node)),
      spawn: (_node, argv, env) => spawnLocal(argv, env),
      controllerAccess: (url) => ({ url, socket: null }),
      observeTraffic: async () => routeOwner(sim),
      setKeepalives: async (node, up) => relay.set(node, up),
      // An ENI has no carrier to pull: the lab fails the node's LAN health check (a `check` monitor on a
      // file) and cuts its keepalives, which is how a dead LAN interface looks from inside the instance.
      setLink: async (node, up) => {
        const { rmSync, writeFileSync } = await import('node:fs');
        if (up) rmSync(linkFile(node), { force: true });
        else writeFileSync(linkFile(node), 'down\n');
        relay.set(node, up);
      },
      setWan: (node, up) => (up ? wan[node].start() : wan[node].stop()),
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
          .filter((c) => (c.action === 'ReplaceRoute' || c.action === 'CreateRoute') && c.status < 300)
          .length,
      stop,
    };
    return rig;
  } catch (err) {
    await stop();
    throw err;
  }
}

function nodeParts(
  node: NodeName,
  sim: Sim,
  ctx: StartContext,
  addr: (n: number) => string,
  port: number,
  wan: WanTarget,
  linkFile: string,
): NodeParts {
  const t = ctx.timing;
  const imds = sim.imds_urls[INSTANCE[node]] ?? '';
  const monitors: Record<string, unknown>[] = [];
  if (ctx.monitors.includes('link'))
    monitors.push({
      kind: 'check',
      name: 'lan-link',
      command: `test ! -e '${linkFile}'`,
      interval_ms: t.interval_ms,
      timeout_ms: 1000,
    });
  if (ctx.monitors.includes('wan'))
    monitors.push({
      kind: 'tcp',
      name: 'wan',
      host: wan.host,
      port: wan.port,
      interval_ms: t.interval_ms,
      timeout_ms: t.interval_ms,
    });
  return {
    paths: [
      {
        name: 'lan',
        local_address: addr(node === 'a' ? 1 : 2),
        peer_address: addr(node === 'a' ? 12 : 11),
        port,
      },
    ],
    actions: [routeSpec(node, sim) as unknown as Record<string, unknown>],
    monitors,
    // Credentials the way EC2 hands them out: the SDK's chain ends at the instance role in metadata.
    env: {
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds,
      AWS_CONFIG_FILE: join(ctx.dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(ctx.dir, 'no-aws-credentials'),
    },
    mgmt_ip: LAN[node].ip,
    subnet: LAN[node].subnet,
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

export function spawnLocal(argv: readonly string[], env: NodeJS.ProcessEnv): SpawnedProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty argv');
  // Its own process group: a kill reaches the agent and anything it started (check scripts).
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    exited,
    kill(signal) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    },
  };
}
