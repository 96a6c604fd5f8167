// The EC2 client and the one bounded retry loop every AWS call goes through. The SDK's own retries are off
// (maxAttempts 1): its standard mode waits up to 20 s with a 1 s throttling base (CLOUD.md §1.7), which no
// failover deadline survives; here every wait is jittered, capped and cut at the caller's deadline.
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { AwsError, classify } from './errors.js';

// The SDK release is pinned on purpose (the README says why); its "upgrade to Node 22" notice would only
// be noise in every agent's log. An operator's own setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface ClientOptions {
  readonly region: string;
  /** `http://127.0.0.1:PORT` for the simulator, a VPC interface endpoint, or unset for the public endpoint. */
  readonly endpoint?: string | undefined;
  /** Per attempt; a hung connection costs at most this much before the loop tries again. */
  readonly request_timeout_ms?: number | undefined;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/** Credentials come from the SDK's default provider chain (env, profile, container, instance role). */
export function createEc2Client(options: ClientOptions): EC2Client {
  const request_timeout_ms = options.request_timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const config: EC2ClientConfig = {
    region: options.region,
    maxAttempts: 1,
    requestHandler: { requestTimeout: request_timeout_ms, connectionTimeout: request_timeout_ms },
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = { ...options.credentials };
  return new EC2Client(config);
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;

export interface RetryPolicy {
  /** First backoff ceiling; doubled per attempt (full jitter). */
  readonly base_ms: number;
  /** The same after a throttle: EC2's buckets refill at a few tokens per second, so back off harder. */
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
}

/** Starts a budget `deadline_ms` from now. */
export function budget(
  deadline_ms: number,
  signal?: AbortSignal,
  policy: RetryPolicy = DEFAULT_RETRY,
): CallBudget {
  return { deadline_at_ms: performance.now() + deadline_ms, signal, counter: { calls: 0 }, policy };
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the deadline passes. Only throttling, 5xx and
 * network failures are retried; a permission or id error is final at once.
 */
export async function withRetry<T>(
  action: string,
  b: CallBudget,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const policy = b.policy;
  let last: AwsError | null = null;
  for (let n = 0; n < policy.attempts_max; n++) {
    const left_ms = b.deadline_at_ms - performance.now();
    if (b.signal?.aborted) throw new AwsError('AWS_ABORTED', 'Aborted', `${action}: aborted`);
    if (left_ms <= 0) break;
    const signal = b.signal
      ? AbortSignal.any([b.signal, AbortSignal.timeout(Math.ceil(left_ms))])
      : AbortSignal.timeout(Math.ceil(left_ms));
    b.counter.calls++;
    try {
      return await attempt(signal);
    } catch (err) {
      last = classify(err, action);
      if (!last.retryable) throw last;
    }
    const base_ms = last.code === 'AWS_THROTTLED' ? policy.throttle_base_ms : policy.base_ms;
    const wait_ms = Math.min(policy.cap_ms, base_ms * 2 ** n) * policy.random();
    if (performance.now() + wait_ms >= b.deadline_at_ms) break;
    await sleep(wait_ms, b.signal);
  }
  const why =
    performance.now() >= b.deadline_at_ms - 1 ? 'before the deadline' : `in ${policy.attempts_max} attempts`;
  throw new AwsError(
    'AWS_DEADLINE',
    last?.aws_code ?? 'Deadline',
    `${action}: no success ${why}${last ? ` (last error: ${last.message})` : ''}; raise action_deadline_ms or fix the cause`,
  );
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

/** Runs `tasks` with at most `limit` in flight; results in order. Used to keep bursts below EC2's buckets. */
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
