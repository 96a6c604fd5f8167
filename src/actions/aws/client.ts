// The EC2 client and the one bounded retry loop every AWS call goes through. The SDK's own retries are off
// (maxAttempts 1): its standard mode waits up to 20 s with a 1 s throttling base (CLOUD.md §1.7), which no
// failover deadline survives; here every wait is jittered, capped and cut at the caller's deadline.
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { type CallBudget, type ErrorClassifier, withRetry as kitRetry } from '../kit/retry.js';
import { AwsError, classify } from './errors.js';

export { budget, type CallBudget, DEFAULT_RETRY, parallel, type RetryPolicy, sleep } from '../kit/retry.js';

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

/** The AWS classifier for the kit's retry: EC2 throttling, 5xx and network failures are worth another try. */
export const AWS_ERRORS: ErrorClassifier<AwsError> = {
  classify,
  aborted: (action) => new AwsError('AWS_ABORTED', 'Aborted', `${action}: aborted`),
  exhausted: (action, why, last) =>
    new AwsError(
      'AWS_DEADLINE',
      last?.aws_code ?? 'Deadline',
      `${action}: no success ${why}${last ? ` (last error: ${last.message})` : ''}; raise action_deadline_ms or fix the cause`,
    ),
};

/**
 * Runs `attempt` until it succeeds, fails for good, or the deadline passes. Only throttling, 5xx and
 * network failures are retried; a permission or id error is final at once.
 */
export function withRetry<T>(
  action: string,
  b: CallBudget,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return kitRetry(action, b, AWS_ERRORS, attempt);
}
