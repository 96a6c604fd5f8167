// TCP connect probe: ok once the three-way handshake completes; the socket is closed at once.
import { connect } from 'node:net';
import type { Probe, Verdict } from './loop.js';
import { ProbeMonitor } from './probe-monitor.js';
import { MONITOR_DEFAULTS, type TcpSpec } from './spec.js';

/** `local_address` pins the probe to one path (pathwatch's primary or backup link). */
export function tcpProbe(host: string, port: number, timeout_ms: number, local_address?: string): Probe {
  return (signal) =>
    new Promise<Verdict>((resolve) => {
      const started = performance.now();
      const socket = connect({
        host,
        port,
        ...(local_address === undefined ? {} : { localAddress: local_address }),
      });
      const finish = (v: Verdict): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(v);
      };
      const onAbort = (): void => finish({ ok: false, detail: 'stopped' });
      const timer = setTimeout(
        () => finish({ ok: false, detail: `no connection to ${host}:${port} within ${timeout_ms} ms` }),
        timeout_ms,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        const rtt_ms = performance.now() - started;
        finish({ ok: true, detail: `connected in ${Math.round(rtt_ms)} ms`, rtt_ms });
      });
      socket.once('error', (err: NodeJS.ErrnoException) =>
        finish({ ok: false, detail: `${host}:${port}: ${err.code ?? err.message}` }),
      );
    });
}

export function createTcpMonitor(spec: TcpSpec): ProbeMonitor {
  const timeout_ms = spec.timeout_ms ?? MONITOR_DEFAULTS.probe.timeout_ms;
  const interval_ms = spec.interval_ms ?? MONITOR_DEFAULTS.probe.interval_ms;
  return new ProbeMonitor(spec.name, 'wan-probe', interval_ms, tcpProbe(spec.host, spec.port, timeout_ms));
}
