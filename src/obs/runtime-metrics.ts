// What every long-running tandem process exposes beside its own metrics: which build runs, and how the
// process itself fares (memory, CPU, file descriptors, start time, event-loop lag). Shared by the agent
// and pathwatch so that one dashboard reads both.
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { VERSION } from '../cli/version.js';

/**
 * The event-loop delay is sampled by a libuv timer at this period. 50 ms rather than prom-client's 10:
 * a fifth of the wake-ups on a small appliance, and a stall long enough to matter (a dead interval is
 * at least 40 ms) still shows.
 */
const LOOP_SAMPLE_MS = 50;

export function registerRuntimeMetrics(registry: Registry): void {
  const info = new Gauge({
    name: 'tandem_build_info',
    help: 'Always 1; the labels say which tandem and which Node.js run',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  info.set({ version: VERSION, node_version: process.versions.node }, 1);
  // Standard names (process_resident_memory_bytes, process_cpu_seconds_total, process_open_fds,
  // process_start_time_seconds, nodejs_eventloop_lag_*): existing Node.js dashboards read them as is.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: LOOP_SAMPLE_MS });
}

/**
 * A name as a label value: names may hold spaces (`vip eth1 192.0.2.10/24`), which dashboards, label
 * matchers and copy-paste handle badly. Every run of white space becomes one `_`; the rest is kept.
 */
export function labelValue(name: string): string {
  const v = name.trim().replace(/\s+/g, '_');
  return v === '' ? '_' : v;
}
