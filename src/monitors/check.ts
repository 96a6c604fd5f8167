// A user check command: `/bin/sh -c <command>`, ok on exit 0. A timeout kills its whole process group.
import type { Probe } from './loop.js';
import { ProbeMonitor } from './probe-monitor.js';
import { withRiseFall } from './rise-fall.js';
import { runCommand } from './run.js';
import { type CheckSpec, MONITOR_DEFAULTS } from './spec.js';

export function checkProbe(command: string, timeout_ms: number): Probe {
  return async (signal) => {
    const out = await runCommand(['/bin/sh', '-c', command], { timeout_ms, signal });
    if (out.spawn_error !== undefined) return { ok: false, detail: `cannot run /bin/sh: ${out.spawn_error}` };
    if (out.timed_out) return { ok: false, detail: `timed out after ${timeout_ms} ms (killed)` };
    if (out.code === 0) return { ok: true, detail: 'exit 0' };
    const tail = out.stderr.trim().split('\n').at(-1) ?? '';
    return { ok: false, detail: `exit ${out.code ?? 'signal'}${tail ? `: ${tail}` : ''}` };
  };
}

export function createCheckMonitor(spec: CheckSpec): ProbeMonitor {
  const timeout_ms = spec.timeout_ms ?? MONITOR_DEFAULTS.check.timeout_ms;
  const interval_ms = spec.interval_ms ?? MONITOR_DEFAULTS.check.interval_ms;
  const probe = withRiseFall(checkProbe(spec.command, timeout_ms), spec.rise ?? 1, spec.fall ?? 1);
  return new ProbeMonitor(spec.name, 'check', interval_ms, probe);
}
