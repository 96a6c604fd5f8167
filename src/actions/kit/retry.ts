// The one bounded retry every driver's calls go through: jittered exponential backoff, cut at the caller's
// deadline and abort signal, with the mechanism's own error classifier deciding what is worth another try.
// SDK retries are turned off or bounded under it: their waits (20 s for EC2, 64 s for ARM) survive no deadline.
import type { ActionContext, ActionError, ActionResult } from '../types.js';

/** Socket and resolver errors: the API was not reached, so another try may well succeed. Each SDK adds its own. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What the loop needs to know about a failure; each mechanism's error class carries these. */
export interface RetryableError extends Error {
  readonly retryable: boolean;
  /** Back off harder: the API's token bucket is empty. */
  readonly throttled: boolean;
  /** The server said how long to wait (Retry-After); honoured instead of the jittered backoff. */
  readonly retry_after_ms?: number | undefined;
  toActionError(): ActionError;
}

/** Turns anything a call threw into the mechanism's error, and names the two endings the loop itself makes. */
export interface ErrorClassifier<E extends RetryableError> {
  classify(err: unknown, action: string): E;
  aborted(action: string): E;
  /** No success before the deadline or within the attempt bound; `last` is the last failure seen. */
  exhausted(action: string, why: string, last: E | null): E;
}

export interface RetryPolicy {
  /** First backoff ceiling; doubled per attempt (full jitter). */
  readonly base_ms: number;
  /** The same after a throttle: buckets refill at a few tokens per second, so back off harder. */
  readonly throttle_base_ms: number;
  readonly cap_ms: number;
  /** Bound on attempts even when the deadline is far away. */
  readonly attempts_max: number;
  /** [0, 1) — injected so that tests and the simulation can replay a run. */
  readonly random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  base_ms: 50,
  throttle_base_ms: 200,
  cap_ms: 1000,
  attempts_max: 20,
  random: Math.random,
};

export interface CallBudget {
  /** Absolute time (performance.now()) after which no new attempt starts. */
  readonly deadline_at_ms: number;
  readonly signal?: AbortSignal | undefined;
  /** Counts every request sent, for ActionResult.calls. */
  readonly counter: { calls: number };
  readonly policy: RetryPolicy;
  /** When the verb started, for progress reports. */
  readonly started_at_ms: number;
}

/** Starts a budget `deadline_ms` from now. */
export function budget(
  deadline_ms: number,
  signal?: AbortSignal,
  policy: RetryPolicy = DEFAULT_RETRY,
): CallBudget {
  const now = performance.now();
  return { deadline_at_ms: now + deadline_ms, signal, counter: { calls: 0 }, policy, started_at_ms: now };
}

/** Runs `attempt` until it succeeds, fails for good (as `errors` classifies it), or the budget runs out. */
export async function withRetry<T, E extends RetryableError>(
  action: string,
  b: CallBudget,
  errors: ErrorClassifier<E>,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const policy = b.policy;
  let last: E | null = null;
  for (let n = 0; n < policy.attempts_max; n++) {
    const left_ms = b.deadline_at_ms - performance.now();
    if (b.signal?.aborted) throw errors.aborted(action);
    if (left_ms <= 0) break;
    const signal = b.signal
      ? AbortSignal.any([b.signal, AbortSignal.timeout(Math.ceil(left_ms))])
      : AbortSignal.timeout(Math.ceil(left_ms));
    b.counter.calls++;
    try {
      return await attempt(signal);
    } catch (err) {
      last = errors.classify(err, action);
      if (!last.retryable) throw last;
    }
    const wait_ms = backoff(policy, n, last);
    if (performance.now() + wait_ms >= b.deadline_at_ms) break;
    await sleep(wait_ms, b.signal);
  }
  const why =
    performance.now() >= b.deadline_at_ms - 1 ? 'before the deadline' : `in ${policy.attempts_max} attempts`;
  throw errors.exhausted(action, why, last);
}

function backoff(policy: RetryPolicy, n: number, last: RetryableError): number {
  if (last.retry_after_ms !== undefined) return last.retry_after_ms;
  const base_ms = last.throttled ? policy.throttle_base_ms : policy.base_ms;
  return Math.min(policy.cap_ms, base_ms * 2 ** n) * policy.random();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `tasks` with at most `limit` in flight; results in order. Keeps bursts below an API's buckets. */
export async function parallel<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** Runs a verb against a budget and turns the outcome into an ActionResult (drivers never throw). */
export async function runVerb(
  ctx: ActionContext,
  policy: RetryPolicy,
  toActionError: (err: unknown) => ActionError,
  body: (b: CallBudget) => Promise<void>,
): Promise<ActionResult> {
  const b = budget(ctx.deadline_ms, ctx.signal, policy);
  try {
    await body(b);
    return { ok: true, duration_ms: performance.now() - b.started_at_ms, calls: b.counter.calls };
  } catch (err) {
    return {
      ok: false,
      duration_ms: performance.now() - b.started_at_ms,
      calls: b.counter.calls,
      error: toActionError(err),
    };
  }
}

/** A failed step that already knows its ActionError (a local tool's exit, say). */
export class StepError extends Error implements RetryableError {
  readonly throttled = false;
  readonly retryable: boolean;
  readonly error: ActionError;
  constructor(error: ActionError) {
    super(error.message);
    this.error = error;
    this.retryable = error.retryable;
  }
  toActionError(): ActionError {
    return this.error;
  }
}

/** For local steps: the last failure is the answer, whatever ended the loop. */
const STEP_ERRORS: ErrorClassifier<StepError> = {
  classify: (err) =>
    err instanceof StepError
      ? err
      : new StepError({
          code: 'ACTION_THREW',
          message: String((err as Error)?.message ?? err),
          retryable: false,
        }),
  aborted: (action) => new StepError({ code: 'ABORTED', message: `${action}: aborted`, retryable: false }),
  exhausted: (action, why, last) =>
    last ?? new StepError({ code: 'DEADLINE', message: `${action}: no attempt ${why}`, retryable: true }),
};

export type Step = () => Promise<{ readonly ok: true } | { readonly ok: false; readonly error: ActionError }>;

/** Retries a local step that reports its own ActionError (Linux `ip` commands) within the context's deadline. */
export function retrySteps(
  ctx: ActionContext,
  name: string,
  step: Step,
  policy = DEFAULT_RETRY,
): Promise<ActionResult> {
  return runVerb(
    ctx,
    policy,
    (err) => STEP_ERRORS.classify(err, name).toActionError(),
    (b) =>
      withRetry(name, b, STEP_ERRORS, async () => {
        const r = await step();
        if (!r.ok) throw new StepError(r.error);
      }),
  );
}
