// bench:aws-failover — two real agent processes against the simulator with 100 ms API latency and 10 route
// tables × 2 routes. Kill -9 the active node; measure from its death to every route confirmed at the survivor
// by Describe, and count the API calls on the critical path (from the simulator's call recorder).
// Goal (issue 6): at most the dead interval + 2 API round trips. Last line: one JSON object of figures.
import type { CallRecord } from '../../src/sim/recorder.js';
import type { Sim } from '../../src/sim/server.js';
import { ENI_A, ENI_B, startTestSim } from '../../test/actions/aws/fixtures.js';
import { allAt, Pair, simNow, until } from '../../test/actions/aws/pair-harness.js';

const TABLES = 10;
const API_LATENCY_MS = Number(process.env.BENCH_API_LATENCY_MS ?? 100);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 200);
const DEAD_MULTIPLIER = Number(process.env.BENCH_DEAD_MULTIPLIER ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DEAD_INTERVAL_MS = INTERVAL_MS * DEAD_MULTIPLIER;

interface Run {
  readonly routes_confirmed_ms: number;
  readonly first_call_ms: number;
  readonly claim_ms: number;
  readonly calls: number;
  readonly round_trips: number;
}

const WRITES = new Set(['ReplaceRoute', 'CreateRoute']);

/** The survivor's claim, read from the recorder: its writes, then the Describe that confirmed them. */
function measure(sim: Sim, since_seq: number, killed_at_ms: number): Run {
  const calls = sim.calls.list({ since_seq, cloud: 'aws', identity: 'node-b' });
  const writes = calls.filter((c) => WRITES.has(c.action));
  if (writes.length === 0) throw new Error('the survivor made no route write');
  const writes_end_ms = Math.max(...writes.map((c) => c.end_ms));
  const confirm = calls.find((c) => c.action === 'DescribeRouteTables' && c.start_ms >= writes_end_ms);
  if (!confirm) throw new Error('no confirming DescribeRouteTables after the writes');
  const first_ms = Math.min(...writes.map((c) => c.start_ms));
  const path = calls.filter((c) => c.start_ms >= first_ms && c.end_ms <= confirm.end_ms);
  return {
    routes_confirmed_ms: confirm.end_ms - killed_at_ms,
    first_call_ms: first_ms - killed_at_ms,
    claim_ms: confirm.end_ms - first_ms,
    calls: path.length,
    round_trips: roundTrips(path),
  };
}

/** Sequential waves: a call that starts after every call of the current wave ended begins a new one. */
function roundTrips(calls: readonly CallRecord[]): number {
  let waves = 0;
  let wave_end_ms = Number.NEGATIVE_INFINITY;
  for (const c of [...calls].sort((x, y) => x.start_ms - y.start_ms)) {
    if (c.start_ms >= wave_end_ms) {
      waves++;
      wave_end_ms = c.end_ms;
    } else wave_end_ms = Math.max(wave_end_ms, c.end_ms);
  }
  return waves;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const sim = await startTestSim(TABLES);
  sim.faults.set({ action: '*', latency_ms: API_LATENCY_MS });
  const pair = new Pair({
    sim,
    tables: TABLES,
    interval_ms: INTERVAL_MS,
    dead_multiplier: DEAD_MULTIPLIER,
    observe_interval_ms: 5000,
  });
  const dests = pair.destinations;
  const runs: Run[] = [];
  try {
    const b = pair.start('b');
    for (let i = 0; i < RUNS; i++) {
      const a = pair.start('a');
      await until('node a active', async () => (await a.state()) === 'active', 60_000);
      await until('every route at node a', () => allAt(sim, TABLES, dests, ENI_A), 60_000);
      await until('node b standby', async () => (await b.state()) === 'standby', 60_000);
      // Let keepalives flow for a while so the kill lands at a random phase of the interval.
      await new Promise((r) => setTimeout(r, 500 + Math.random() * INTERVAL_MS));
      const since = sim.calls.last_seq();
      const killed_at_ms = simNow();
      a.kill('SIGKILL');
      await until('every route at node b', () => allAt(sim, TABLES, dests, ENI_B), 60_000);
      // The confirming Describe may end a moment after the state flipped.
      await new Promise((r) => setTimeout(r, 2 * API_LATENCY_MS + 100));
      runs.push(measure(sim, since, killed_at_ms));
      await a.exited;
    }
  } finally {
    await pair.stop();
    await sim.close();
  }
  const goal_ms = DEAD_INTERVAL_MS + 2 * API_LATENCY_MS;
  console.log(
    `aws-failover: ${TABLES} route tables × ${dests.length} routes, API latency ${API_LATENCY_MS} ms, ` +
      `dead interval ${DEAD_INTERVAL_MS} ms (${INTERVAL_MS} × ${DEAD_MULTIPLIER}); goal ≤ ${goal_ms} ms`,
  );
  console.log('run  first call ms  claim ms  routes confirmed ms  calls  round trips');
  runs.forEach((r, i) => {
    console.log(
      `${String(i + 1).padStart(3)}  ${r.first_call_ms.toFixed(0).padStart(13)}  ${r.claim_ms.toFixed(0).padStart(8)}  ` +
        `${r.routes_confirmed_ms.toFixed(0).padStart(19)}  ${String(r.calls).padStart(5)}  ${String(r.round_trips).padStart(11)}`,
    );
  });
  const confirmed = runs.map((r) => r.routes_confirmed_ms);
  const figures = {
    dead_interval_ms: DEAD_INTERVAL_MS,
    api_latency_ms: API_LATENCY_MS,
    route_tables: TABLES,
    routes: TABLES * dests.length,
    runs: runs.length,
    routes_confirmed_ms: Math.round(median(confirmed)),
    routes_confirmed_ms_max: Math.round(Math.max(...confirmed)),
    detection_to_first_call_ms: Math.round(median(runs.map((r) => r.first_call_ms))),
    claim_ms: Math.round(median(runs.map((r) => r.claim_ms))),
    critical_path_calls: Math.max(...runs.map((r) => r.calls)),
    critical_path_round_trips: Math.max(...runs.map((r) => r.round_trips)),
    goal_ms,
    goal_met_median: median(confirmed) <= goal_ms,
    goal_met_every_run: Math.max(...confirmed) <= goal_ms,
  };
  console.log(JSON.stringify(figures));
}

await main();
