// Controller throughput: N simulated agents, each reporting every 2 s over keep-alive HTTP, against
// a controller process on SQLite and on PostgreSQL. Prints sustained reports/s and latency
// percentiles per store, then one JSON line.
// Usage: npm run bench:controller [-- --agents 10000 --seconds 12 --stores sqlite,postgres]
// BENCH_DEBUG=1 prints latency per 250 ms of the window; BENCH_SOCKETS sets the connections (128).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { type ControllerProcess, spawnController } from '../../test/helpers/controller-process.js';
import { type PgServer, startPostgres } from '../../test/helpers/postgres.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: process.env.BENCH_AGENTS ?? '10000' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '12' },
    interval: { type: 'string', default: '2000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
  },
});
const AGENTS = Number(values.agents);
const MEASURE_MS = Number(values.seconds) * 1000;
const INTERVAL_MS = Number(values.interval);
const ADMIN = 'tdk_bench-admin-token-0123456789';

// undici rather than node:http: the load generator shares the machine's two cores with the
// controller, so it should cost as little per report as it can.
const CONNECTIONS = Number(process.env.BENCH_SOCKETS ?? 128);
let pool: Pool | null = null;

interface Res {
  status: number;
  body: string;
}

async function call(
  base: URL,
  method: 'GET' | 'POST',
  path: string,
  token: string | null,
  body?: unknown,
): Promise<Res> {
  pool ??= new Pool(base.origin, { connections: CONNECTIONS, pipelining: 1 });
  const data = body === undefined ? undefined : JSON.stringify(body);
  const res = await pool.request({
    method,
    path,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(data ? { 'content-type': 'application/json' } : {}),
    },
    ...(data ? { body: data } : {}),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

interface Node {
  id: string;
  cred: string;
  state: 'active' | 'standby';
}

async function inBatches<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** N/2 sites, each a pair enrolled through the API like a real agent would. */
async function enrollFleet(base: URL): Promise<Node[]> {
  const nodes: Node[] = [];
  const sites = Array.from({ length: Math.ceil(AGENTS / 2) }, (_, i) => i);
  await inBatches(sites, 32, async (i) => {
    const site = JSON.parse(
      (await call(base, 'POST', '/api/v1/sites', ADMIN, { name: `site-${i}`, kind: 'aws' })).body,
    );
    for (const [role, net] of [
      ['primary', 3],
      ['secondary', 17],
    ] as const) {
      const n = await call(base, 'POST', `/api/v1/sites/${site.id}/nodes`, ADMIN, {
        role,
        model: 'vm',
        mgmt_ip: `10.0.${net}.10`,
        subnet: `10.0.${net}.0/24`,
      });
      if (n.status !== 201) throw new Error(`add node: ${n.body}`);
      const e = JSON.parse(
        (
          await call(base, 'POST', '/api/v1/enroll', null, {
            enrollment_token: JSON.parse(n.body).enrollment_token,
          })
        ).body,
      );
      nodes.push({ id: e.node_id, cred: e.credential, state: role === 'primary' ? 'active' : 'standby' });
    }
  });
  return nodes.slice(0, AGENTS);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Result {
  store: string;
  /** Controller CPU per report: what the throughput would be on a machine of our own. */
  cpu_us_per_report: number;
  client_cpu_us_per_report: number;
  reports_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  /** From the first report to the last agent's first acknowledgement. */
  boot_storm_ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function drive(base: URL, nodes: readonly Node[], pid: number): Promise<Omit<Result, 'store'>> {
  const latencies: number[] = [];
  const debug: [number, number][] = [];
  let errors = 0;
  let seq = 0;
  const start = performance.now();
  // Set once the boot storm is absorbed (see below); nothing before it is measured.
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureTo = Number.POSITIVE_INFINITY;
  let firstAcked = 0;
  const booted = new Set<Node>();
  let completedInWindow = 0;
  const timers: NodeJS.Timeout[] = [];
  const inflight = new Set<Promise<void>>();
  const send = (n: Node): void => {
    const t0 = performance.now();
    const body = {
      id: `b-${++seq}`,
      state: n.state,
      wan_ok: true,
      hears_peer: true,
      version: '1.4.2',
      indicators: { connected: true, keepalive: true, same_version: true },
      wan: [
        { name: 'wan1', up: true },
        { name: 'wan2', up: true },
      ],
      last_keepalive_at: Date.now(),
      action_results: [],
    };
    const p = call(base, 'POST', `/api/v1/nodes/${n.id}/reports`, n.cred, body).then(
      (r) => {
        const t1 = performance.now();
        if (r.status !== 200) errors++;
        else {
          if (!booted.has(n)) {
            booted.add(n);
            firstAcked++;
          }
          // Throughput counts acknowledgements inside the window; latency, reports sent inside it.
          if (t1 >= measureFrom && t1 < measureTo) completedInWindow++;
          if (t0 >= measureFrom && t0 < measureTo) {
            latencies.push(t1 - t0);
            if (process.env.BENCH_DEBUG) debug.push([t0 - measureFrom, t1 - t0]);
          }
        }
      },
      () => {
        errors++;
      },
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  for (const [i, n] of nodes.entries()) {
    // Spread the agents evenly over one interval, as a fleet that booted at random times would be.
    const offset = (i / nodes.length) * INTERVAL_MS;
    timers.push(
      setTimeout(() => {
        send(n);
        timers.push(setInterval(() => send(n), INTERVAL_MS));
      }, offset),
    );
  }
  // The boot storm: every agent's first report changes its node (enrolled, never heard from), so it
  // takes the slow path and builds a backlog. It is timed on its own; the sustained figures are
  // measured from one interval after it has drained (no request waiting for a connection).
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  while (firstAcked < nodes.length) await sleep(20);
  const boot_storm_ms = Math.round(performance.now() - start);
  while (inflight.size >= CONNECTIONS) await sleep(20);
  await sleep(INTERVAL_MS);
  measureFrom = performance.now();
  measureTo = measureFrom + MEASURE_MS;
  const cpu0 = cpuSeconds(pid);
  const client0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const cpu_s = cpuSeconds(pid) - cpu0;
  const client = process.cpuUsage(client0);
  const client_s = (client.user + client.system) / 1e6;
  for (const t of timers) clearTimeout(t);
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  if (process.env.BENCH_DEBUG) {
    const by = new Map<number, number[]>();
    for (const [t, l] of debug) {
      const k = Math.floor(t / 250);
      if (!by.has(k)) by.set(k, []);
      by.get(k)!.push(l);
    }
    for (const [k, ls] of by) {
      ls.sort((a, b) => a - b);
      process.stderr.write(
        `${k * 250} ms: n=${ls.length} p50=${percentile(ls, 50).toFixed(1)} max=${ls[ls.length - 1]!.toFixed(1)}\n`,
      );
    }
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  const sent = Math.max(1, completedInWindow);
  return {
    cpu_us_per_report: Math.round((cpu_s * 1e6) / sent),
    client_cpu_us_per_report: Math.round((client_s * 1e6) / sent),
    reports_per_s: Math.round(completedInWindow / (MEASURE_MS / 1000)),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies[latencies.length - 1] ?? Number.NaN),
    errors,
    boot_storm_ms,
  };
}

async function runStore(store: 'sqlite' | 'postgres'): Promise<Result> {
  let pg: PgServer | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'tdctl-bench-'));
  let proc: ControllerProcess | null = null;
  try {
    let url = join(dir, 'controller.db');
    if (store === 'postgres') {
      pg = await startPostgres();
      url = await pg.createDatabase();
    }
    // BENCH_PROFILE_DIR=dir writes a CPU profile of the controller process there.
    const profile = process.env.BENCH_PROFILE_DIR;
    const node_args = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
    proc = await spawnController(url, ADMIN, ['--stale-after-ms', '600000'], node_args);
    const base = new URL(proc.url);
    const t0 = performance.now();
    const nodes = await enrollFleet(base);
    process.stderr.write(
      `${store}: enrolled ${nodes.length} agents in ${Math.round(performance.now() - t0)} ms; driving…\n`,
    );
    return { store, ...(await drive(base, nodes, proc.child.pid!)) };
  } finally {
    await proc?.kill('SIGTERM');
    await pool?.close();
    pool = null;
    pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
for (const store of values.stores.split(',') as ('sqlite' | 'postgres')[])
  results.push(await runStore(store));

const offered = Math.round(AGENTS / (INTERVAL_MS / 1000));
console.log(
  `controller bench: ${AGENTS} agents, one report every ${INTERVAL_MS} ms each (offered ${offered}/s), ${MEASURE_MS / 1000} s measured`,
);
console.log(
  'store     reports/s   p50 ms   p99 ms   max ms   errors   controller CPU µs/report   client CPU µs/report   boot storm ms',
);
for (const r of results) {
  console.log(
    `${r.store.padEnd(9)} ${String(r.reports_per_s).padStart(9)} ${String(r.p50_ms).padStart(8)} ${String(r.p99_ms).padStart(8)} ${String(r.max_ms).padStart(8)} ${String(r.errors).padStart(8)} ${String(r.cpu_us_per_report).padStart(26)} ${String(r.client_cpu_us_per_report).padStart(22)} ${String(r.boot_storm_ms).padStart(15)}`,
  );
}
const figures: Record<string, number> = {
  agents: AGENTS,
  interval_ms: INTERVAL_MS,
  offered_reports_per_s: offered,
};
for (const r of results) {
  figures[`${r.store}_reports_per_s`] = r.reports_per_s;
  figures[`${r.store}_p50_ms`] = r.p50_ms;
  figures[`${r.store}_p99_ms`] = r.p99_ms;
  figures[`${r.store}_errors`] = r.errors;
  figures[`${r.store}_cpu_us_per_report`] = r.cpu_us_per_report;
  figures[`${r.store}_boot_storm_ms`] = r.boot_storm_ms;
}
console.log(JSON.stringify(figures));
