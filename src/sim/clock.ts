// Time inside the simulator is injected so tests can run long-running operations without waiting for them.
import { setTimeout as delay } from 'node:timers/promises';

export interface Clock {
  now_ms(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now_ms: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
};

/** A clock that only moves when told: `advance(ms)` wakes every sleeper whose time has come. */
export class ManualClock implements Clock {
  private t_ms: number;
  private sleepers: { at_ms: number; wake: () => void }[] = [];

  // Starts at the real time so tokens the simulator issues are not already expired for the SDKs.
  constructor(start_ms = Date.now()) {
    this.t_ms = start_ms;
  }

  now_ms(): number {
    return this.t_ms;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at_ms: this.t_ms + ms, wake }));
  }

  advance(ms: number): void {
    this.t_ms += ms;
    const due = this.sleepers.filter((s) => s.at_ms <= this.t_ms);
    this.sleepers = this.sleepers.filter((s) => s.at_ms > this.t_ms);
    for (const s of due) s.wake();
  }
}
