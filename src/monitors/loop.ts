// The one probe loop every polling monitor uses: never two probes at once, every probe bounded by
// its own timeout, a thrown error becomes a failed verdict, and stop() waits for the probe in flight.

export interface Verdict {
  readonly ok: boolean;
  readonly detail?: string;
  /** Round-trip time of an answered probe (pathwatch exports it per path). */
  readonly rtt_ms?: number;
}

/** One probe; must honour `signal` (aborted on stop) and its own timeout. */
export type Probe = (signal: AbortSignal) => Promise<Verdict>;

export interface ProbeLoop {
  stop(): Promise<void>;
}

/** Runs `probe` now and then every `interval_ms` (measured start to start; a slow probe delays the next). */
export function startProbeLoop(
  probe: Probe,
  interval_ms: number,
  onVerdict: (v: Verdict) => void,
): ProbeLoop {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const runOnce = async (): Promise<void> => {
    const started = performance.now();
    let verdict: Verdict;
    try {
      verdict = await probe(controller.signal);
    } catch (err) {
      verdict = { ok: false, detail: `probe error: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (controller.signal.aborted) return;
    try {
      onVerdict(verdict);
    } catch {
      // A faulty consumer must not stop the monitor; the agent logs its own errors.
    }
    const wait_ms = Math.max(0, interval_ms - (performance.now() - started));
    timer = setTimeout(tick, wait_ms);
  };
  const tick = (): void => {
    inFlight = runOnce();
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
