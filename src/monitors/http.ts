// HTTP GET probe: ok on an expected status (default any 2xx/3xx; redirects are not followed).
import type { Probe } from './loop.js';
import { ProbeMonitor } from './probe-monitor.js';
import { type HttpSpec, MONITOR_DEFAULTS } from './spec.js';

export function httpProbe(url: string, timeout_ms: number, expect_status?: readonly number[]): Probe {
  const accepted = (status: number): boolean =>
    expect_status ? expect_status.includes(status) : status >= 200 && status < 400;
  return async (signal) => {
    const started = performance.now();
    const res = await fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeout_ms)]),
    }).catch((err: unknown) => err as Error);
    if (res instanceof Error) {
      const cause = res.cause instanceof Error ? `: ${res.cause.message}` : '';
      const timedOut = res.name === 'TimeoutError';
      return { ok: false, detail: timedOut ? `no answer within ${timeout_ms} ms` : `${res.message}${cause}` };
    }
    const rtt_ms = performance.now() - started;
    // Drain the body so the connection is released; its content is not checked.
    await res.body?.cancel().catch(() => undefined);
    return { ok: accepted(res.status), detail: `status ${res.status}`, rtt_ms };
  };
}

export function createHttpMonitor(spec: HttpSpec): ProbeMonitor {
  const timeout_ms = spec.timeout_ms ?? MONITOR_DEFAULTS.probe.timeout_ms;
  const interval_ms = spec.interval_ms ?? MONITOR_DEFAULTS.probe.interval_ms;
  return new ProbeMonitor(
    spec.name,
    'wan-probe',
    interval_ms,
    httpProbe(spec.url, timeout_ms, spec.expect_status),
  );
}
