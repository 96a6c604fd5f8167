// npm run bench:failover -- [--systems keepalived,tandem] [--intervals 1000,50,20] [--reps 5]
//   [--scenarios kill,linkdown] [--loss-intervals 1000,20] [--loss-seconds 60] [--seed N]
// Drives every available system through the same scenarios on fresh namespace LANs and prints them
// side by side (ratio = reference ÷ tandem), then one JSON line of figures.
import { parseArgs } from 'node:util';
import { keepalivedSystem } from './keepalived-system.js';
import { type FaultScenario, type LossResult, runFault, runLoss, seededRandom } from './scenarios.js';
import type { SystemUnderTest } from './system.js';
import { tandemSystem } from './tandem-system.js';

// The reference first, tandem second: the ratio column is reference ÷ tandem.
const SYSTEMS: readonly SystemUnderTest[] = [keepalivedSystem, tandemSystem];

const { values } = parseArgs({
  options: {
    systems: { type: 'string', default: SYSTEMS.map((s) => s.name).join(',') },
    intervals: { type: 'string', default: '1000,50,20' },
    scenarios: { type: 'string', default: 'kill,linkdown' },
    reps: { type: 'string', default: '5' },
    'loss-intervals': { type: 'string', default: '1000,20' },
    'loss-seconds': { type: 'string', default: '60' },
    'loss-percent': { type: 'string', default: '5' },
    seed: { type: 'string', default: String(Math.floor(Math.random() * 2 ** 31)) },
  },
});

const list = (s: string): string[] => s.split(',').filter((x) => x !== '');
const nums = (s: string): number[] => list(s).map(Number);
const seed = Number(values.seed);
const reps = Number(values.reps);
const figures: Record<string, number | string> = { seed };

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

  const faultRows: string[][] = [];
  for (const scenario of list(values.scenarios) as FaultScenario[]) {
    for (const interval_ms of nums(values.intervals)) {
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
      }
      cells.push(ratio(medians));
      faultRows.push(cells);
    }
  }
  printTable(
    ['scenario', 'interval ms', ...systems.map((s) => `${s.name} median / max ms`), 'ratio'],
    faultRows,
  );

  const lossRows: string[][] = [];
  const loss_s = Number(values['loss-seconds']);
  const loss_percent = Number(values['loss-percent']);
  for (const interval_ms of loss_s > 0 ? nums(values['loss-intervals']) : []) {
    const cells: string[] = [`${loss_percent}% loss ${loss_s}s`, `${interval_ms}`];
    for (const sut of systems) {
      const r: LossResult | undefined = await runLoss(sut, interval_ms, loss_s * 1000, loss_percent).catch(
        (err: Error) => {
          log(`${sut.name} loss ${interval_ms} ms: ${err.message}`);
          return undefined;
        },
      );
      cells.push(
        r ? `${r.role_changes} / ${fmt(r.outage_ms)} (quiet ${fmt(r.baseline_outage_ms)})` : 'failed',
      );
      const key = `${sut.name}_loss_${interval_ms}ms`;
      figures[`${key}_role_changes`] = r?.role_changes ?? -1;
      figures[`${key}_longest_outage_ms`] = Math.round(r?.outage_ms ?? Number.NaN);
      figures[`${key}_quiet_longest_gap_ms`] = Math.round(r?.baseline_outage_ms ?? Number.NaN);
    }
    lossRows.push(cells);
  }
  if (lossRows.length > 0) {
    printTable(
      [
        'false failover',
        'interval ms',
        ...systems.map((s) => `${s.name} role changes / longest outage ms (no-loss gap)`),
      ],
      lossRows,
    );
  }
  console.log(JSON.stringify(figures));
}

/** reference ÷ tandem: how many times shorter tandem's figure is. */
function ratio(medians: readonly number[]): string {
  const [reference, tandem] = medians;
  if (reference === undefined || tandem === undefined || !(tandem > 0)) return '-';
  return `${(reference / tandem).toFixed(1)}×`;
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
