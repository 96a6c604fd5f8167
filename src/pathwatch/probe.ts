// Probe rounds on one path: every target probed `count` times (ICMP in one `ping`, TCP and HTTP with the
// monitors' probes), all targets at once, a round every `interval_ms` start to start. Never throws: a probe
// that fails in any way is a lost probe.
import { httpProbe } from '../monitors/http.js';
import { icmpBurst } from '../monitors/icmp.js';
import type { Probe } from '../monitors/loop.js';
import { tcpProbe } from '../monitors/tcp.js';
import type { ProbePlan } from './config.js';
import type { TargetSpec } from './config-schema.js';
import type { PathName, Round, TargetRound } from './types.js';

export function targetName(t: TargetSpec): string {
  switch (t.kind) {
    case 'icmp':
      return t.address;
    case 'tcp':
      return t.address.includes(':') ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
    case 'http':
      return t.url;
  }
}

export async function probeRound(path: PathName, plan: ProbePlan, signal: AbortSignal): Promise<Round> {
  const targets = await Promise.all(plan.targets.map((t) => probeTarget(t, plan, signal)));
  return { path, targets };
}

async function probeTarget(t: TargetSpec, plan: ProbePlan, signal: AbortSignal): Promise<TargetRound> {
  const target = targetName(t);
  if (t.kind === 'icmp') {
    const b = await icmpBurst(t.address, {
      count: plan.count,
      spacing_ms: plan.spacing_ms,
      timeout_ms: plan.timeout_ms,
      source: plan.source ?? undefined,
      signal,
    });
    return { target, sent: b.sent, received: b.received, rtt_ms: b.rtt_ms };
  }
  const probe: Probe =
    t.kind === 'tcp'
      ? tcpProbe(t.address, t.port, plan.timeout_ms, plan.source ?? undefined)
      : httpProbe(t.url, plan.timeout_ms, t.expect_status);
  const verdicts = await Promise.all(
    Array.from({ length: plan.count }, async (_, i) => {
      await wait(i * plan.spacing_ms, signal);
      return probe(signal).catch(() => ({ ok: false as const, rtt_ms: undefined }));
    }),
  );
  const answered = verdicts.filter((v) => v.ok);
  return {
    target,
    sent: plan.count,
    received: answered.length,
    rtt_ms: answered.map((v) => v.rtt_ms).filter((r): r is number => r !== undefined),
  };
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface Rounds {
  stop(): Promise<void>;
}

/**
 * Runs rounds on `path` now and then every `interval_ms` (start to start; a round is bounded by the config
 * check, timeout + spacing × (count − 1) ≤ interval, so rounds never overlap). `onRound` must not throw.
 */
export function startRounds(path: PathName, plan: ProbePlan, onRound: (r: Round) => void): Rounds {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const run = async (): Promise<void> => {
    const started = performance.now();
    const round = await probeRound(path, plan, controller.signal);
    if (controller.signal.aborted) return;
    onRound(round);
    timer = setTimeout(tick, Math.max(0, plan.interval_ms - (performance.now() - started)));
  };
  const tick = (): void => {
    inFlight = run();
  };
  tick();
  return {
    async stop() {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
  };
}
