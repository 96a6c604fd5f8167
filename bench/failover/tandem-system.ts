// tandem as a SystemUnderTest: one `tandem agent` per node, configured like the keepalived pair (same
// interval, dead after 3 intervals, preempt, the same VIP) with tandem's defaults (keepalive_copies 2),
// plus what tandem has and keepalived has not: keepalives on the second link when the LAN has one,
// and the LAN port watched as a service link (down ⇒ the node is unfit and hands over at once).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnInNs } from '../../test/helpers/netns.js';
import { nowMs } from './keepalived.js';
import type { BenchRole, ClaimTiming, NodeHandle, NodePlan, RoleChange, SystemUnderTest } from './system.js';

const REPO = new URL('../../', import.meta.url).pathname;
// The compiled CLI, as deployed (`npm run build`): a smaller process than tsx's, so forking `ip`
// and `arping` on a claim is cheaper, and the footprint figure is the real one.
const CLI = join(REPO, 'dist/cli/main.js');
const KEY_ENV = 'TANDEM_BENCH_PAIR_KEY';
/** A fixed benchmark key: both nodes must share it; it protects nothing outside the namespaces. */
const BENCH_KEY = Buffer.alloc(32, 7).toString('base64');
const ROLE_OF: Readonly<Record<string, BenchRole>> = {
  active: 'active',
  standby: 'standby',
  fault: 'fault',
  maintenance: 'standby',
  disabled: 'standby',
};

export interface TandemNodeHandle extends NodeHandle {
  /** The agent's process id, for resource figures. */
  readonly pid: number;
  /** The agent's last log lines (JSON), to explain a figure. */
  logTail(): readonly string[];
}

const TAIL_LINES = 200;
/** The unit's Environment=NODE_OPTIONS line. */
const AGENT_NODE_OPTIONS = '--max-semi-space-size=1 --v8-pool-size=1';

/** keepalived's VRRP declares the master down after 3 adverts (plus skew): the same here. */
export const DEAD_MULTIPLIER = 3;

export function tandemConfig(plan: NodePlan): Record<string, unknown> {
  const paths = [{ name: 'lan', local_address: plan.address, peer_address: plan.peer_address }];
  if (plan.ha) paths.push({ name: 'ha', local_address: plan.ha.address, peer_address: plan.ha.peer_address });
  return {
    pair: 'bench',
    node: plan.name,
    role: plan.role,
    pair_key_env: KEY_ENV,
    interval_ms: plan.interval_ms,
    dead_multiplier: DEAD_MULTIPLIER,
    preempt: plan.preempt,
    paths,
    monitors: [
      {
        kind: 'link',
        name: 'lan-link',
        interface: plan.ifname,
        interval_ms: Math.min(100, plan.interval_ms),
      },
    ],
    actions: [{ kind: 'vip', interface: plan.ifname, address: `${plan.vip}/${plan.prefix}` }],
    status: { listen: '127.0.0.1:0' },
    log_level: 'info',
  };
}

/** `second_link`: keepalives on both links (tandem's advice); false: the one LAN link, like keepalived. */
function tandemSystemOf(name: string, second_link: boolean): SystemUnderTest {
  return {
    name,
    second_link,
    unavailable: buildOnce,
    startNode: startTandemNode,
  };
}

let built: Promise<string | undefined> | null = null;
/** Builds once per run (both tandem setups share it), so that the benchmark never measures a stale dist/. */
function buildOnce(): Promise<string | undefined> {
  built ??= build();
  return built;
}

export const tandemSystem = tandemSystemOf('tandem', true);
export const tandemSingleSystem = tandemSystemOf('tandem_single', false);

async function build(): Promise<string | undefined> {
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.json')], { encoding: 'utf8' });
  if (built.status !== 0) return `npm run build failed: ${built.stdout.slice(0, 500)}`;
  const bundled = spawnSync(process.execPath, [join(REPO, 'scripts/bundle-agent.js')], {
    encoding: 'utf8',
  });
  if (bundled.status !== 0) return `the agent bundle failed: ${bundled.stderr.slice(0, 500)}`;
  return existsSync(CLI) ? undefined : `${CLI} is missing after the build`;
}

async function startTandemNode(plan: NodePlan): Promise<TandemNodeHandle> {
  const file = join(plan.dir, `tandem-${plan.name}.yaml`);
  writeFileSync(file, stringify(tandemConfig(plan)));
  const proc = spawnInNs(plan.ns, [process.execPath, CLI, 'agent', '--config', file], {
    // As the systemd unit runs it (deploy/systemd/tandem-agent@.service).
    env: { ...process.env, [KEY_ENV]: BENCH_KEY, NODE_OPTIONS: AGENT_NODE_OPTIONS },
  });
  const changes: RoleChange[] = [];
  const timings: ClaimTiming[] = [];
  const tail: string[] = [];
  proc.onLine((line) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    const timing = claimTimingOf(line);
    if (timing !== undefined) timings.push({ t_ms: nowMs(), ...timing });
    if (!line.includes('"state change"')) return;
    const to = (JSON.parse(line) as { to?: string }).to;
    const role = to === undefined ? undefined : ROLE_OF[to];
    if (role !== undefined) changes.push({ t_ms: nowMs(), role });
  });
  return {
    name: plan.name,
    pid: proc.pid,
    logTail: () => tail,
    claimTimings: () => timings,
    roleChanges: () => changes,
    role: () => changes.at(-1)?.role ?? 'init',
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
    },
    async kill9() {
      proc.kill('SIGKILL');
      await proc.exited;
    },
  };
}

/** `claiming the traffic` carries deadline_late_ms (a claim a deadline caused); the claim's `action done`, claim_ms. */
function claimTimingOf(line: string): Omit<ClaimTiming, 't_ms'> | undefined {
  if (!line.includes('"claiming the traffic"') && !line.includes('"claim_ms"')) return undefined;
  const o = JSON.parse(line) as { deadline_late_ms?: unknown; claim_ms?: unknown; claim_at_ms?: unknown };
  if (typeof o.deadline_late_ms === 'number') return { deadline_late_ms: o.deadline_late_ms };
  if (typeof o.claim_ms === 'number')
    return {
      claim_ms: o.claim_ms,
      ...(typeof o.claim_at_ms === 'number' ? { claim_at_ms: o.claim_at_ms } : {}),
    };
  return undefined;
}

/** Resident memory (MB) and CPU share (% of one core) of a process over `window_ms`. */
export async function processUsage(
  pid: number,
  window_ms: number,
): Promise<{ rss_mb: number; cpu_pct: number }> {
  const ticks = (): number => {
    // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the command name's ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const hz = 100; // USER_HZ on Linux
  const t0 = performance.now();
  const c0 = ticks();
  await new Promise((r) => setTimeout(r, window_ms));
  const cpu_pct = ((ticks() - c0) / hz / ((performance.now() - t0) / 1000)) * 100;
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rss_mb: Number(rss?.[1] ?? Number.NaN) / 1024, cpu_pct };
}
