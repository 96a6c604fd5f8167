// The one "read back until true" loop: a cloud applies writes eventually, so a claim is done only when a
// read shows the end state. Reads back off (first → max) and stop at the budget's deadline.
import { type CallBudget, sleep } from './retry.js';

export interface ConfirmSpec<T> {
  readonly first_ms: number;
  readonly max_ms: number;
  /** One reading (itself retried by the caller's withRetry). */
  readonly read: () => Promise<T>;
  /** True when the end state is reached; may throw to give up early (the peer claimed after us). */
  readonly done: (reading: T) => boolean;
  /** The error thrown when the deadline passes first, from the last reading. */
  readonly notConfirmed: (last: T) => Error;
  /** Each reading that is not yet the end state, for progress reports. */
  readonly waiting?: (reading: T) => void;
}

export async function confirm<T>(b: CallBudget, spec: ConfirmSpec<T>): Promise<T> {
  let wait_ms = spec.first_ms;
  for (;;) {
    const reading = await spec.read();
    if (spec.done(reading)) return reading;
    spec.waiting?.(reading);
    if (performance.now() + wait_ms >= b.deadline_at_ms) throw spec.notConfirmed(reading);
    await sleep(wait_ms, b.signal);
    wait_ms = Math.min(wait_ms * 2, spec.max_ms);
  }
}
