// Preflight checks as CLOUD.md §1.3 classifies them: 412 DryRunOperation ⇒ ok; 403 ⇒ missing permission
// (with the statement to add); NotFound / InvalidParameterValue ⇒ wrong id; no answer ⇒ unreachable.
import type { PreflightCheck } from '../types.js';
import { type CallBudget, type RetryPolicy, withRetry } from './client.js';
import { AwsError, isDryRunOk } from './errors.js';
import { statementText } from './iam-policy.js';

export interface CheckSpec {
  /** Shown to the operator: `ec2:ReplaceRoute on rtb-0abc → eni-1`. */
  readonly check: string;
  /** The IAM action, for the fix. */
  readonly action: string;
  readonly resources: readonly string[];
}

/** A dry run of one call. `call` must send the request with DryRun=true. */
export async function dryRunCheck(
  spec: CheckSpec,
  b: CallBudget,
  policy: RetryPolicy,
  call: (signal: AbortSignal) => Promise<unknown>,
): Promise<PreflightCheck> {
  try {
    const allowed = await withRetry(
      spec.action,
      b,
      async (signal) => {
        try {
          await call(signal);
          return true;
        } catch (err) {
          if (isDryRunOk(err)) return true;
          throw err;
        }
      },
      policy,
    );
    return allowed ? { check: spec.check, status: 'ok' } : { check: spec.check, status: 'error' };
  } catch (err) {
    return failedCheck(spec, err);
  }
}

/** A read that confirms ids exist (Describe by id). */
export async function readCheck(
  spec: CheckSpec,
  b: CallBudget,
  policy: RetryPolicy,
  call: (signal: AbortSignal) => Promise<string | null>,
): Promise<PreflightCheck> {
  try {
    const problem = await withRetry(spec.action, b, call, policy);
    return problem === null
      ? { check: spec.check, status: 'ok' }
      : { check: spec.check, status: 'wrong-id', detail: problem, fix: 'correct the id in the config' };
  } catch (err) {
    return failedCheck(spec, err);
  }
}

export function failedCheck(spec: CheckSpec, err: unknown): PreflightCheck {
  const e =
    err instanceof AwsError
      ? err
      : new AwsError('AWS_INVALID', 'Error', String((err as Error)?.message ?? err));
  switch (e.code) {
    case 'AWS_FORBIDDEN':
      return {
        check: spec.check,
        status: 'missing-permission',
        detail: `${spec.action} is not allowed on ${spec.resources.join(', ')}`,
        fix: `add to this node's IAM role: ${statementText(spec.action, spec.resources)}`,
      };
    case 'AWS_NOT_FOUND':
    case 'AWS_INVALID':
    case 'AWS_CONFLICT':
      return {
        check: spec.check,
        status: 'wrong-id',
        detail: e.message,
        fix: 'correct the id in the config',
      };
    case 'AWS_UNREACHABLE':
    case 'AWS_DEADLINE':
    case 'AWS_THROTTLED':
    case 'AWS_SERVER':
      return {
        check: spec.check,
        status: 'unreachable',
        detail: e.message,
        fix: 'check the endpoint, DNS, routes and security groups from this node to the EC2 API',
      };
    case 'AWS_DISCOVERY':
      return { check: spec.check, status: 'error', detail: e.message, fix: 'set the ids in the config' };
    default:
      return { check: spec.check, status: 'error', detail: e.message };
  }
}
