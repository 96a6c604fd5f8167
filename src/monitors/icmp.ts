// ICMP echo through the system `ping` (setuid or cap_net_raw, so the agent needs no raw socket).
import type { Probe } from './loop.js';
import { ProbeMonitor } from './probe-monitor.js';
import { runCommand } from './run.js';
import { type IcmpSpec, MONITOR_DEFAULTS } from './spec.js';

/** ping's own -W bounds the wait for the reply; our timer is a backstop for a hung resolver. */
const BACKSTOP_MS = 500;

export function icmpProbe(target: string, timeout_ms: number): Probe {
  const wait_s = (timeout_ms / 1000).toFixed(3);
  return async (signal) => {
    const out = await runCommand(['ping', '-n', '-q', '-c', '1', '-W', wait_s, '--', target], {
      timeout_ms: timeout_ms + BACKSTOP_MS,
      signal,
    });
    if (out.spawn_error !== undefined) return { ok: false, detail: `cannot run ping: ${out.spawn_error}` };
    if (out.timed_out) return { ok: false, detail: `ping did not finish in ${timeout_ms + BACKSTOP_MS} ms` };
    if (out.code === 0) return { ok: true, detail: `reply in ${Math.round(out.duration_ms)} ms` };
    // Exit 1 = no reply; 2 = error (unknown host, no route): the message says which.
    const reason =
      out.code === 1 ? `no reply within ${timeout_ms} ms` : out.stderr.trim() || `exit ${out.code}`;
    return { ok: false, detail: reason };
  };
}

export function createIcmpMonitor(spec: IcmpSpec): ProbeMonitor {
  const timeout_ms = spec.timeout_ms ?? MONITOR_DEFAULTS.probe.timeout_ms;
  const interval_ms = spec.interval_ms ?? MONITOR_DEFAULTS.probe.interval_ms;
  return new ProbeMonitor(spec.name, 'wan-probe', interval_ms, icmpProbe(spec.target, timeout_ms));
}
