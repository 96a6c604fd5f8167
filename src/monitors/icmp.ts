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

export interface Burst {
  readonly sent: number;
  readonly received: number;
  /** One per answer, in ms. */
  readonly rtt_ms: readonly number[];
  /** Why nothing came back, when nothing did. */
  readonly detail?: string;
}

export interface BurstOptions {
  readonly count: number;
  /** Between two echo requests; ping's own floor is 2 ms. */
  readonly spacing_ms: number;
  /** Wait for answers after the last request. */
  readonly timeout_ms: number;
  /** Send from this address (`ping -I`), to pin the probe to one path. */
  readonly source?: string | undefined;
  readonly signal?: AbortSignal;
}

const REPLY = /icmp_seq=\d+.*time=([\d.]+) ms/;
const SUMMARY = /(\d+) packets transmitted, (\d+) (packets )?received/;

/** `count` echo requests in one `ping` (the reference's `ping -c 3 -W 1`), with each answer's RTT. */
export async function icmpBurst(target: string, o: BurstOptions): Promise<Burst> {
  const spacing_s = (Math.max(2, o.spacing_ms) / 1000).toFixed(3);
  const wait_s = (o.timeout_ms / 1000).toFixed(3);
  const source = o.source === undefined ? [] : ['-I', o.source];
  const bound_ms = o.timeout_ms + o.spacing_ms * (o.count - 1) + BACKSTOP_MS;
  const out = await runCommand(
    ['ping', '-n', '-c', String(o.count), '-i', spacing_s, '-W', wait_s, ...source, '--', target],
    { timeout_ms: bound_ms, ...(o.signal ? { signal: o.signal } : {}) },
  );
  const rtt_ms = out.stdout
    .split('\n')
    .map((line) => REPLY.exec(line)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(Number);
  const summary = SUMMARY.exec(out.stdout);
  const received = summary ? Number(summary[2]) : rtt_ms.length;
  const lost = (why: string): Burst => ({ sent: o.count, received, rtt_ms, detail: why });
  if (out.spawn_error !== undefined) return lost(`cannot run ping: ${out.spawn_error}`);
  if (out.timed_out) return lost(`ping did not finish in ${bound_ms} ms`);
  if (received === 0) return lost(out.code === 1 ? 'no reply' : out.stderr.trim() || `exit ${out.code}`);
  return { sent: summary ? Number(summary[1]) : o.count, received, rtt_ms };
}
