// A monitor built from one probe function and a reading kind: icmp/tcp/http/check differ only in
// how one probe is done.
import { type Probe, type ProbeLoop, startProbeLoop } from './loop.js';
import type { Monitor, Reading } from './types.js';

export class ProbeMonitor implements Monitor {
  private loop: ProbeLoop | undefined;

  constructor(
    readonly name: string,
    private readonly readingKind: 'wan-probe' | 'check',
    private readonly interval_ms: number,
    private readonly probe: Probe,
  ) {}

  start(report: (reading: Reading) => void): void {
    if (this.loop !== undefined) return;
    this.loop = startProbeLoop(this.probe, this.interval_ms, (v) =>
      report({
        kind: this.readingKind,
        name: this.name,
        ok: v.ok,
        ...(v.detail ? { detail: v.detail } : {}),
      }),
    );
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = undefined;
  }
}
