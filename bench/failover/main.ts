// npm run bench:failover -- [--systems keepalived,tandem_single,tandem] [--intervals 50,20] [--reps 10]
//   [--scenarios linkdown,kill] [--recovery-systems keepalived,tandem_single] [--recovery-reps 3]
//   [--loss-intervals 1000,20] [--loss-seconds 60] [--seed N]        (TRIALS=N sets --reps)
// Drives every available system through the same scenarios on fresh namespace LANs and prints them
// side by side (ratio = reference ÷ system), then one JSON line of figures. The systems: keepalived
// (VRRP on the one LAN link), tandem_single (tandem on that same one link, no second path) and tandem
// (keepalives on a second link too). The default run takes a few minutes; the loss runs (60 s each)
// are asked for with --loss-intervals.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { keepalivedSystem } from './keepalived-system.js';
import { startRig } from './rig.js';
import {
  type FaultScenario,
  type LossResult,
  type RecoveryResult,
  runFault,
  runLoss,
  runPortCycle,
  seededRandom,
} from './scenarios.js';
import type { ClaimTiming, SystemUnderTest } from './system.js';
import {
  DEAD_MULTIPLIER,
  processUsage,
  type TandemNodeHandle,
  tandemSingleSystem,
  tandemSystem,
} from './tandem-system.js';

// The reference first: the ratio columns are reference ÷ system.
const SYSTEMS: readonly SystemUnderTest[] = [keepalivedSystem, tandemSingleSystem, tandemSystem];
/**
 * The footprint at this keepalive interval (two paths) in steady state: V8 keeps compiling the hot paths
 * for about a minute and a half (CPU falls from ~4 % at 20 s to ~2 % at 100 s), and the heap grows for
 * about as long (RSS read at 35 s was ~3 MB short of the lasting figure), so the window starts after 90 s.
 */
const USAGE_INTERVAL_MS = 50;
const USAGE_WARMUP_MS = 90_000;
const USAGE_WINDOW_MS = 60_000;
/** The goal: tandem's single-link outage at most this share of keepalived's. */
const GOAL_SHARE = 0.85;

const { values } = parseArgs({
  options: {
    systems: { type: 'string', default: SYSTEMS.map((s) => s.name).join(',') },
    intervals: { type: 'string', default: '50,20' },
    scenarios: { type: 'string', default: 'linkdown' },
    reps: { type: 'string', default: process.env.TRIALS ?? '10' },
    'recovery-systems': { type: 'string', default: 'keepalived,tandem_single' },
    'recovery-reps': { type: 'string', default: '2' },
    'loss-intervals': { type: 'string', default: '' },
    'loss-seconds': { type: 'string', default: '60' },
    'loss-percent': { type: 'string', default: '5' },
    seed: { type: 'string', default: String(Math.floor(Math.random() * 2 ** 31)) },
  },
});

const list = (s: string): string[] => s.split(',').filter((x) => x !== '');
/** A flag's comma-separated whole numbers; anything else stops the bench before it starts a namespace. */
const nums = (s: string, flag: string): number[] =>
  list(s).map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0) {
      console.error(`--${flag}: expected comma-separated whole numbers, got "${x}" (leave it out for none)`);
      process.exit(2);
    }
    return n;
  });
const [seed = 0] = nums(values.seed, 'seed');
const [reps = 0] = nums(values.reps, 'reps');
// Every list is read here, so a bad one stops the bench before its first namespace, not minutes in.
const INTERVALS = nums(values.intervals, 'intervals');
const LOSS_INTERVALS = nums(values['loss-intervals'], 'loss-intervals');
const figures: Record<string, number | string> = { seed };
/** Claim timings (tandem's own log) per system, over every fault repetition. */
const timings = new Map<string, ClaimTiming[]>();

function stats(xs: readonly number[]): { median: number; max: number; min: number } {
  const ok = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (ok.length === 0) return { median: Number.NaN, max: Number.NaN, min: Number.NaN };
  const mid = Math.floor(ok.length / 2);
  const median = ok.length % 2 ? (ok[mid] as number) : ((ok[mid - 1] as number) + (ok[mid] as number)) / 2;
  return { median, max: ok.at(-1) as number, min: ok[0] as number };
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
const log = (line: string): void => console.error(line);

async function main(): Promise<void> {
  const wanted = list(values.systems);
  const systems: SystemUnderTest[] = [];
  for (const s of SYSTEMS.filter((x) => wanted.includes(x.name))) {
    const why = await s.unavailable();
    if (why === undefined) systems.push(s);
    else console.log(`${s.name}: skipped — ${why}`);
  }
  const unknown = wanted.filter((w) => !SYSTEMS.some((s) => s.name === w));
  if (unknown.length > 0) console.log(`not known to this benchmark yet: ${unknown.join(', ')}`);
  console.log(`seed ${seed} (pass --seed ${seed} to replay the same fault phases)`);

  const load_before = loadavg()[0] ?? Number.NaN;
  const faultRows: string[][] = [];
  for (const scenario of list(values.scenarios) as FaultScenario[]) {
    for (const interval_ms of INTERVALS) {
      const cells: string[] = [scenario, `${interval_ms}`];
      const medians: number[] = [];
      for (const sut of systems) {
        const random = seededRandom(seed + interval_ms);
        const xs: number[] = [];
        for (let i = 0; i < reps; i++) {
          const r = await runFault(sut, scenario, interval_ms, random).catch((err: Error) => {
            log(`${sut.name} ${scenario} ${interval_ms} ms rep ${i + 1}: ${err.message}`);
            return undefined;
          });
          if (r?.timings) timings.set(sut.name, [...(timings.get(sut.name) ?? []), ...r.timings]);
          xs.push(r?.figure_ms ?? Number.NaN);
          log(
            `${sut.name} ${scenario} ${interval_ms} ms rep ${i + 1}: ${fmt(r?.figure_ms ?? Number.NaN)} ms (phase ${fmt(r?.phase_ms ?? Number.NaN)} ms)`,
          );
        }
        const s = stats(xs);
        medians.push(s.median);
        cells.push(`${fmt(s.median)} / ${fmt(s.max)}`);
        const key = `${sut.name}_${scenario}_${interval_ms}ms`;
        figures[`${key}_median_ms`] = Math.round(s.median);
        figures[`${key}_max_ms`] = Math.round(s.max);
        figures[`${sut.name}_${scenario}_median_ms_${interval_ms}`] = Math.round(s.median);
      }
      cells.push(...ratios(systems, medians, scenario, interval_ms));
      faultRows.push(cells);
    }
  }
  printTable(
    [
      'scenario',
      'interval ms',
      ...systems.map((s) => `${s.name} median / max ms`),
      ...systems.slice(1).map((s) => `keepalived ÷ ${s.name}`),
    ],
    faultRows,
  );
  reportTimings(systems);
  await runRecovery(systems);

  const lossRows: string[][] = [];
  const loss_s = Number(values['loss-seconds']);
  const loss_percent = Number(values['loss-percent']);
  for (const interval_ms of loss_s > 0 ? LOSS_INTERVALS : []) {
    const cells: string[] = [`${loss_percent}% loss ${loss_s}s`, `${interval_ms}`];
    for (const sut of systems) {
      const r: LossResult | undefined = await runLoss(sut, interval_ms, loss_s * 1000, loss_percent).catch(
        (err: Error) => {
          log(`${sut.name} loss ${interval_ms} ms: ${err.message}`);
          return undefined;
        },
      );
      cells.push(
        r
          ? `${r.failovers} / ${r.role_changes} / ${fmt(r.outage_ms)} (quiet ${fmt(r.baseline_outage_ms)})`
          : 'failed',
      );
      const key = `${sut.name}_loss_${interval_ms}ms`;
      figures[`${key}_role_changes`] = r?.role_changes ?? -1;
      figures[`${key}_longest_outage_ms`] = Math.round(r?.outage_ms ?? Number.NaN);
      figures[`${key}_quiet_longest_gap_ms`] = Math.round(r?.baseline_outage_ms ?? Number.NaN);
      figures[`${sut.name}_false_failovers_${interval_ms}`] = r?.failovers ?? -1;
      figures[`${sut.name}_loss_max_outage_ms_${interval_ms}`] = Math.round(r?.outage_ms ?? Number.NaN);
    }
    lossRows.push(cells);
  }
  if (lossRows.length > 0) {
    printTable(
      [
        'false failover',
        'interval ms',
        ...systems.map((s) => `${s.name} failovers / role changes / longest outage ms (no-loss gap)`),
      ],
      lossRows,
    );
  }
  if (systems.includes(tandemSystem)) await measureUsage();
  const load_after = loadavg()[0] ?? Number.NaN;
  figures.load_avg_1m_start = Math.round(load_before * 100) / 100;
  figures.load_avg_1m_end = Math.round(load_after * 100) / 100;
  console.log(
    `\nload average (1 min): ${figures.load_avg_1m_start} at the start, ${figures.load_avg_1m_end} at the end`,
  );
  console.log(JSON.stringify(figures));
}

/**
 * Ratios against the reference (the first system), and the goal as a share: tandem's median
 * over keepalived's, as `<system>_vs_keepalived_<scenario>_share_<interval>` (goal ≤ 0.85).
 */
function ratios(
  systems: readonly SystemUnderTest[],
  medians: readonly number[],
  scenario: string,
  interval_ms: number,
): string[] {
  const [reference] = medians;
  if (systems[0]?.name !== 'keepalived' || reference === undefined) return [];
  return systems.slice(1).map((sut, i) => {
    const mine = medians[i + 1];
    if (mine === undefined || !(mine > 0) || !(reference > 0)) return '-';
    // Judged unrounded: 0.852 misses 0.85, though it prints as 0.85 with two decimals.
    const share = mine / reference;
    figures[`${sut.name}_vs_keepalived_${scenario}_share_${interval_ms}`] = Math.round(share * 1000) / 1000;
    figures[`keepalived_over_${sut.name}_${scenario}_ratio_${interval_ms}`] =
      Math.round((reference / mine) * 100) / 100;
    const verdict = share <= GOAL_SHARE ? 'goal met' : `goal ${GOAL_SHARE} missed`;
    return `${(reference / mine).toFixed(2)}× (share ${share.toFixed(3)}, ${verdict})`;
  });
}

/** Deadline → claim start, and claim start → VIP added and announced, from the claiming node's log. */
function reportTimings(systems: readonly SystemUnderTest[]): void {
  const rows: string[][] = [];
  for (const sut of systems) {
    const ts = timings.get(sut.name);
    if (ts === undefined || ts.length === 0) continue;
    const late = ts.flatMap((t) => (t.deadline_late_ms === undefined ? [] : [t.deadline_late_ms]));
    const claim = ts.flatMap((t) => (t.claim_ms === undefined ? [] : [t.claim_ms]));
    const wire = ts.flatMap((t) => (t.wire_ms === undefined ? [] : [t.wire_ms]));
    const l = percentiles(late);
    const c = percentiles(claim);
    const w = percentiles(wire);
    // Claims a deadline did not cause (the peer said it failed) have no lateness: no figure then.
    if (late.length > 0) {
      figures[`${sut.name}_deadline_to_claim_p50_ms`] = l.p50;
      figures[`${sut.name}_deadline_to_claim_p99_ms`] = l.p99;
    }
    if (claim.length > 0) {
      figures[`${sut.name}_claim_to_holding_p50_ms`] = c.p50;
      figures[`${sut.name}_claim_to_holding_p99_ms`] = c.p99;
    }
    // On the wire: the claim's start (its log, host clock) → the first announcement the client read.
    if (wire.length > 0) {
      figures[`${sut.name}_claim_to_announced_p50_ms`] = w.p50;
      figures[`${sut.name}_claim_to_announced_p99_ms`] = w.p99;
    }
    rows.push([
      sut.name,
      `${late.length}`,
      `${l.p50} / ${l.p99}`,
      `${claim.length}`,
      `${c.p50} / ${c.p99}`,
      `${wire.length}`,
      `${w.p50} / ${w.p99}`,
    ]);
  }
  if (rows.length === 0) return;
  printTable(
    [
      'claim timing',
      'n',
      'deadline → claim p50 / p99 ms',
      'n',
      'claim → holding (VIP added, frame written) p50 / p99 ms',
      'n',
      'claim → announcement on the wire p50 / p99 ms',
    ],
    rows,
  );
}

function percentiles(xs: readonly number[]): { p50: number; p99: number } {
  const s = [...xs].sort((p, q) => p - q);
  if (s.length === 0) return { p50: Number.NaN, p99: Number.NaN };
  const at = (p: number): number =>
    Math.round((s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? Number.NaN) * 100) / 100;
  return { p50: at(0.5), p99: at(0.99) };
}

/** The port-down/up cycle of the active primary: VIP overlap from both kernels, time to come back. */
async function runRecovery(systems: readonly SystemUnderTest[]): Promise<void> {
  const wanted = list(values['recovery-systems']);
  const reps_r = Number(values['recovery-reps']);
  const rows: string[][] = [];
  for (const sut of systems.filter((s) => wanted.includes(s.name))) {
    const all: RecoveryResult[] = [];
    for (const interval_ms of INTERVALS) {
      const random = seededRandom(seed + interval_ms + 1);
      const rs: RecoveryResult[] = [];
      for (let i = 0; i < reps_r; i++) {
        const r = await runPortCycle(sut, interval_ms, random).catch((err: Error) => {
          log(`${sut.name} port cycle ${interval_ms} ms rep ${i + 1}: ${err.message}`);
          return undefined;
        });
        if (r !== undefined) rs.push(r);
        log(
          `${sut.name} port cycle ${interval_ms} ms rep ${i + 1}: overlap ${fmt(r?.overlap_ms ?? Number.NaN)} ms, back after ${fmt(r?.back_ms ?? Number.NaN)} ms`,
        );
      }
      all.push(...rs);
      const overlap = stats(rs.map((r) => r.overlap_ms));
      const back = stats(rs.map((r) => r.back_ms));
      figures[`${sut.name}_recovery_overlap_max_ms_${interval_ms}`] = round1(overlap.max);
      figures[`${sut.name}_recovery_back_median_ms_${interval_ms}`] = Math.round(back.median);
      figures[`${sut.name}_recovery_back_max_ms_${interval_ms}`] = Math.round(back.max);
      // The bar: back within one dead interval plus the preempt delay (0 here).
      const dead_ms = DEAD_MULTIPLIER * interval_ms;
      const tandem = sut.name.startsWith('tandem');
      if (tandem)
        figures.tandem_recovery_back_max_share_of_dead_interval = Math.max(
          Number(figures.tandem_recovery_back_max_share_of_dead_interval ?? 0),
          Math.round((back.max / dead_ms) * 100) / 100,
        );
      rows.push([
        sut.name,
        `${interval_ms}`,
        `${rs.length}/${reps_r}`,
        `${round1(overlap.median)} / ${round1(overlap.max)}`,
        `${fmt(back.median)} / ${fmt(back.max)}`,
        tandem ? `${dead_ms}: ${back.max <= dead_ms ? 'goal met' : 'goal missed'}` : '-',
        `${fmt(stats(rs.map((r) => r.outage_ms)).median)}`,
      ]);
    }
    figures[`${sut.name}_recovery_overlap_max_ms`] = round1(stats(all.map((r) => r.overlap_ms)).max);
    figures[`${sut.name}_recovery_runs`] = all.length;
    // The key: tandem's overlap, whichever tandem setup ran the port cycle (one link: the hard case).
    if (sut.name.startsWith('tandem'))
      figures.tandem_recovery_overlap_max_ms = Math.max(
        Number(figures.tandem_recovery_overlap_max_ms ?? 0),
        Number(figures[`${sut.name}_recovery_overlap_max_ms`]),
      );
  }
  if (rows.length === 0) return;
  printTable(
    [
      'port down/up',
      'interval ms',
      'runs',
      'VIP overlap median / max ms',
      'port up → primary holds VIP median / max ms',
      'goal: max ≤ dead interval ms',
      'client outage median ms',
    ],
    rows,
  );
}

const round1 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 10) / 10 : x);

/** tandem's footprint: the active agent's resident memory and CPU share at a 50 ms interval. */
async function measureUsage(): Promise<void> {
  const rig = await startRig(tandemSystem, USAGE_INTERVAL_MS);
  try {
    await new Promise((r) => setTimeout(r, USAGE_WARMUP_MS));
    const usage = await processUsage((rig.a as TandemNodeHandle).pid, USAGE_WINDOW_MS);
    figures.tandem_rss_mb = Math.round(usage.rss_mb * 10) / 10;
    figures.tandem_cpu_pct = Math.round(usage.cpu_pct * 10) / 10;
    printTable(
      ['footprint', 'interval ms', 'rss MB (goal 64)', 'cpu % of a core (goal 3)'],
      [
        [
          'tandem agent (active, two paths)',
          `${USAGE_INTERVAL_MS}`,
          `${figures.tandem_rss_mb}`,
          `${figures.tandem_cpu_pct}`,
        ],
      ],
    );
  } finally {
    await rig.destroy();
  }
}

function printTable(head: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log('');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
