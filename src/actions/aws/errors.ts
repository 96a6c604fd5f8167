// One classification of every EC2 failure, shared by claim, observe and preflight (CLOUD.md §1.1, §1.3, §1.7).
import { NETWORK_ERROR_CODES, type RetryableError } from '../kit/retry.js';
import type { ActionError } from '../types.js';

export type AwsErrorCode =
  | 'AWS_THROTTLED'
  | 'AWS_SERVER'
  | 'AWS_UNREACHABLE'
  | 'AWS_FORBIDDEN'
  | 'AWS_NOT_FOUND'
  | 'AWS_INVALID'
  | 'AWS_CONFLICT'
  | 'AWS_DEADLINE'
  | 'AWS_ABORTED'
  | 'AWS_NOT_CONFIRMED'
  | 'AWS_DISCOVERY'
  | 'AWS_CROSS_AZ';

/** A failed call as the driver sees it: the stable code, EC2's own error name and what to do. */
export class AwsError extends Error implements RetryableError {
  readonly code: AwsErrorCode;
  readonly retryable: boolean;
  /** EC2's error code (`RequestLimitExceeded`, `InvalidRouteTableID.NotFound`), or the socket error. */
  readonly aws_code: string;
  readonly http_status: number | undefined;
  get throttled(): boolean {
    return this.code === 'AWS_THROTTLED';
  }
  constructor(code: AwsErrorCode, aws_code: string, message: string, http_status?: number) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.aws_code = aws_code;
    this.http_status = http_status;
    this.retryable = code === 'AWS_THROTTLED' || code === 'AWS_SERVER' || code === 'AWS_UNREACHABLE';
  }

  toActionError(): ActionError {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

const THROTTLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

/** The answer a dry run gives when the caller may make the call (HTTP 412). */
export function isDryRunOk(err: unknown): boolean {
  return (err as SdkErrorShape | null)?.name === 'DryRunOperation';
}

/** Maps anything the SDK (or the socket under it) threw to an AwsError. `action` names the call for the message. */
export function classify(err: unknown, action: string): AwsError {
  if (err instanceof AwsError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const text = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const sysCode = systemCode(err);
  if (status === undefined || sysCode !== undefined || name === 'TimeoutError' || name === 'AbortError') {
    const what = sysCode ?? name;
    return new AwsError(
      'AWS_UNREACHABLE',
      what,
      `${action}: cannot reach the EC2 endpoint (${what}: ${text}); check the endpoint URL, DNS, routing and security groups from this node`,
    );
  }
  if (THROTTLE_CODES.has(name) || status === 429)
    return new AwsError('AWS_THROTTLED', name, `${action}: throttled by EC2 (${name})`, status);
  if (name === 'UnauthorizedOperation' || name === 'AuthFailure' || status === 403 || status === 401)
    return new AwsError(
      'AWS_FORBIDDEN',
      name,
      `${action}: not allowed (${name}); add the statement printed by \`tandem iam-policy\` to this node's role: ${text}`,
      status,
    );
  if (status >= 500)
    return new AwsError(
      'AWS_SERVER',
      name,
      `${action}: EC2 server error ${status} (${name}): ${text}`,
      status,
    );
  if (name.endsWith('.NotFound') || name === 'NotFound')
    return new AwsError('AWS_NOT_FOUND', name, `${action}: ${text} — check the id in the config`, status);
  if (name === 'RouteAlreadyExists' || name.endsWith('.InUse') || name === 'Resource.AlreadyAssociated')
    return new AwsError('AWS_CONFLICT', name, `${action}: ${text}`, status);
  return new AwsError('AWS_INVALID', name, `${action}: ${name}: ${text}`, status);
}

function systemCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** ReplaceRoute on a destination that is not in the table answers this (not InvalidRoute.NotFound; moto #6425). */
export function isNoRouteDefined(err: AwsError): boolean {
  return err.aws_code === 'InvalidParameterValue' && /no route defined/i.test(err.message);
}
