// Runs a monitor inside a namespace (test/fixtures/run-monitor.ts) and collects its readings.

import type { MonitorSpec } from '../../src/monitors/spec.js';
import type { Reading } from '../../src/monitors/types.js';
import { eventually, spawnInNs, tsNode } from './netns.js';

export type TimedReading = Reading & { readonly t_ms: number };

export interface MonitorRun {
  readonly readings: TimedReading[];
  /** Waits for a reading (after the call) that satisfies `pred`. */
  waitFor(pred: (r: TimedReading) => boolean, deadline_ms?: number, what?: string): Promise<TimedReading>;
  stop(): Promise<void>;
}

const fixture = new URL('../fixtures/run-monitor.ts', import.meta.url).pathname;

export function runMonitorIn(ns: string, spec: MonitorSpec): MonitorRun {
  const proc = spawnInNs(ns, tsNode(fixture, JSON.stringify(spec)));
  const readings: TimedReading[] = [];
  proc.onLine((line) => readings.push(JSON.parse(line) as TimedReading));
  return {
    readings,
    async waitFor(pred, deadline_ms = 15_000, what = 'reading') {
      const from = readings.length;
      let found: TimedReading | undefined;
      await eventually(
        () => {
          found = readings.slice(from).find(pred);
          return found !== undefined;
        },
        deadline_ms,
        `${what} (last: ${JSON.stringify(readings.at(-1))}; stderr: ${proc.stderr().slice(-300)})`,
      );
      return found as TimedReading;
    },
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
    },
  };
}
