// The load generator: the fleet's agents report in turn at an offered rate, over keep-alive HTTP/1.1
// connections (http1.ts: it costs the least per request, and it shares the cores with the
// controller). Every report is a real request with its agent's credential and its own body. Each
// agent has at most one report in flight, as a real agent does; an agent whose turn comes while its
// last report is still unanswered has fallen behind, and that turn is counted, not sent.
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type BenchNode, benchReport } from './fleet.js';
import { Http1Pool } from './http1.js';

/** How often the generator wakes to send what is due. */
const TICK_MS = 5;
/** After a stall of the generator itself (a loaded host), at most this much is sent at once. */
const CATCH_UP_MS = 100;

export interface Window {
  /** Offered reports per second. */
  readonly rate_per_s: number;
  /** Acknowledged inside the window, per second. */
  readonly reports_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly errors: number;
  /** The errors by status, e.g. `503×12 0×1` (0: the connection was lost); empty without errors. */
  readonly error_statuses: string;
  /** Turns that found the agent's previous report still unanswered. */
  readonly behind: number;
  /**
   * The generator's own longest event-loop stall in the window: a reply that arrives during one is
   * timed late by that much, so a p99 near it says more about the host than the controller.
   */
  readonly client_lag_max_ms: number;
  /** Controller CPU per acknowledged report. */
  readonly cpu_us_per_report: number;
  /** The database server's CPU per acknowledged report (PostgreSQL; 0 for SQLite, which runs inside the controller). */
  readonly store_cpu_us_per_report: number;
  readonly client_cpu_us_per_report: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A process's stat fields after its name (field 3 onwards), or null once it has gone. */
function statFields(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return fields === null ? 0 : (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds of a process and its children (a PostgreSQL server: the postmaster and its backends):
 * the living children's own time, and the time of those that ended, which the parent collected.
 */
function treeCpuSeconds(pid: number): number {
  const own = statFields(pid);
  if (own === null) return 0;
  // utime, stime, then cutime and cstime (fields 16 and 17: children waited for).
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== null && Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Fleet {
  private readonly pool: Http1Pool;
  private readonly inflight: Uint8Array;
  private readonly booted: Uint8Array;
  private bootedCount = 0;
  private pending = 0;
  private cursor = 0;
  private seq = 0;
  private rate_per_s = 0;
  private rateFrom = 0;
  private sentAtRate = 0;
  private timer: NodeJS.Timeout | null = null;
  // The current measurement window, if any.
  private from = Number.POSITIVE_INFINITY;
  private to = Number.POSITIVE_INFINITY;
  private latencies: number[] = [];
  private acked = 0;
  /** Reports sent inside the window and not answered yet. */
  private windowPending = 0;
  /** Which window a report was sent in: a late answer from an earlier one counts nowhere. */
  private generation = 0;
  private errors = 0;
  /** Failed answers by HTTP status (0: no answer, the connection lost). */
  private failures = new Map<number, number>();
  private behind = 0;

  constructor(
    base: URL,
    private readonly nodes: readonly BenchNode[],
    private readonly controller_pid: number,
    connections: number,
    /** The database server's process, whose CPU is measured with its children's; null when there is none. */
    private readonly store_pid: number | null = null,
  ) {
    this.pool = new Http1Pool(base, connections);
    this.inflight = new Uint8Array(nodes.length);
    this.booted = new Uint8Array(nodes.length);
  }

  /** Changes the offered rate from now on. */
  offer(rate_per_s: number): void {
    this.rate_per_s = rate_per_s;
    this.rateFrom = performance.now();
    this.sentAtRate = 0;
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const now = performance.now();
    const due = Math.floor(((now - this.rateFrom) * this.rate_per_s) / 1000) - this.sentAtRate;
    const cap = Math.ceil((CATCH_UP_MS * this.rate_per_s) / 1000);
    const n = Math.min(due, cap);
    // A stall longer than the cap is forgotten rather than sent as one burst.
    this.sentAtRate += due > cap ? due : n;
    for (let k = 0; k < n; k++) {
      const i = this.cursor;
      this.cursor = (this.cursor + 1) % this.nodes.length;
      if (this.inflight[i] === 1) {
        if (now >= this.from && now < this.to) this.behind++;
        continue;
      }
      this.send(i, now);
    }
  }

  private send(i: number, t0: number): void {
    const n = this.nodes[i]!;
    this.inflight[i] = 1;
    this.pending++;
    const inWindow = t0 >= this.from && t0 < this.to;
    const generation = this.generation;
    if (inWindow) this.windowPending++;
    const body = JSON.stringify(benchReport(`b-${++this.seq}`, n.state));
    const done = (status: number): void => {
      const ok = status === 200;
      this.inflight[i] = 0;
      this.pending--;
      const t1 = performance.now();
      if (ok && this.booted[i] === 0) {
        this.booted[i] = 1;
        this.bootedCount++;
      }
      // Throughput counts acknowledgements inside the window; latency, reports sent inside it.
      if (ok && t1 >= this.from && t1 < this.to) this.acked++;
      if (!inWindow || generation !== this.generation) return;
      this.windowPending--;
      if (ok) this.latencies.push(t1 - t0);
      else {
        this.errors++;
        this.failures.set(status, (this.failures.get(status) ?? 0) + 1);
      }
    };
    this.pool.post(`/api/v1/nodes/${n.id}/reports`, n.credential, body, done);
  }

  /**
   * Until every agent has been acknowledged once. The first report of an agent never heard from
   * changes its node (the slow path); a seeded fleet's others are periodic from the first.
   */
  async boot(rate_per_s: number): Promise<number> {
    const t0 = performance.now();
    this.offer(rate_per_s);
    while (this.bootedCount < this.nodes.length) await sleep(20);
    return Math.round(performance.now() - t0);
  }

  /** Offers `rate_per_s`, lets it settle for `settle_ms`, then measures for `measure_ms`. */
  async measure(rate_per_s: number, settle_ms: number, measure_ms: number): Promise<Window> {
    this.offer(rate_per_s);
    await sleep(settle_ms);
    this.latencies = [];
    this.acked = 0;
    this.errors = 0;
    this.failures = new Map();
    this.behind = 0;
    this.windowPending = 0;
    this.generation++;
    this.from = performance.now();
    this.to = this.from + measure_ms;
    const cpu0 = cpuSeconds(this.controller_pid);
    const store0 = this.store_pid === null ? 0 : treeCpuSeconds(this.store_pid);
    const client0 = process.cpuUsage();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    await sleep(measure_ms);
    lag.disable();
    const cpu_s = cpuSeconds(this.controller_pid) - cpu0;
    const store_s = this.store_pid === null ? 0 : treeCpuSeconds(this.store_pid) - store0;
    const client = process.cpuUsage(client0);
    // Reports sent inside the window and still unanswered at its end are waited for (bounded), so
    // the slowest ones count in the percentiles.
    const deadline = performance.now() + 5000;
    while (this.windowPending > 0 && performance.now() < deadline) await sleep(10);
    const unanswered = this.windowPending;
    this.from = Number.POSITIVE_INFINITY;
    this.to = Number.POSITIVE_INFINITY;
    const latencies = this.latencies.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    const acked = Math.max(1, this.acked);
    return {
      rate_per_s,
      reports_per_s: Math.round(this.acked / (measure_ms / 1000)),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies[latencies.length - 1] ?? Number.NaN),
      errors: this.errors + unanswered,
      error_statuses: [...this.failures, ...(unanswered > 0 ? [['unanswered', unanswered] as const] : [])]
        .map(([status, n]) => `${status}×${n}`)
        .join(' '),
      behind: this.behind,
      client_lag_max_ms: Math.round(lag.max / 1e6),
      cpu_us_per_report: Math.round((cpu_s * 1e6) / acked),
      store_cpu_us_per_report: Math.round((store_s * 1e6) / acked),
      client_cpu_us_per_report: Math.round((client.user + client.system) / acked),
    };
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const deadline = performance.now() + 10_000;
    while (this.pending > 0 && performance.now() < deadline) await sleep(10);
    this.pool.close();
  }
}
