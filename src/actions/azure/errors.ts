// One classification of every ARM failure, shared by claim, observe and preflight (CLOUD.md §2.3, §2.4, §2.7).
import { NETWORK_ERROR_CODES, type RetryableError } from '../kit/retry.js';
import type { ActionError } from '../types.js';

export type AzureErrorCode =
  /** The identity has no token (managed identity missing, IMDS unreachable) or ARM refused the token. */
  | 'AZURE_AUTH'
  /** Authenticated, but the role lacks an action (403 AuthorizationFailed / LinkedAuthorizationFailed). */
  | 'AZURE_FORBIDDEN'
  | 'AZURE_NOT_FOUND'
  | 'AZURE_INVALID'
  /** 409 AnotherOperationInProgress: the NIC or route is still being updated. */
  | 'AZURE_BUSY'
  /** 412: the etag moved between our read and our write; read again. */
  | 'AZURE_PRECONDITION'
  /** 400 PrivateIPAddressIsAllocated: the peer's release has not completed yet. */
  | 'AZURE_ADDRESS_HELD'
  | 'AZURE_THROTTLED'
  | 'AZURE_SERVER'
  | 'AZURE_UNREACHABLE'
  /** An update's operation ended Failed: the resource went back; the step is tried again. */
  | 'AZURE_OPERATION_FAILED'
  | 'AZURE_DEADLINE'
  | 'AZURE_ABORTED'
  | 'AZURE_NOT_CONFIRMED'
  /** The peer took the address or routes after our claim began: we yield, core decides (split brain). */
  | 'AZURE_PEER_CLAIMED'
  | 'AZURE_DISCOVERY';

const RETRYABLE = new Set<AzureErrorCode>([
  'AZURE_BUSY',
  'AZURE_PRECONDITION',
  'AZURE_ADDRESS_HELD',
  'AZURE_THROTTLED',
  'AZURE_SERVER',
  'AZURE_UNREACHABLE',
  'AZURE_OPERATION_FAILED',
]);

export class AzureError extends Error implements RetryableError {
  readonly code: AzureErrorCode;
  /** ARM's own code (`AnotherOperationInProgress`, `AuthorizationFailed`) or the socket error. */
  readonly arm_code: string;
  readonly http_status: number | undefined;
  readonly retry_after_ms: number | undefined;
  readonly retryable: boolean;
  constructor(
    code: AzureErrorCode,
    arm_code: string,
    message: string,
    http_status?: number,
    retry_after_ms?: number,
  ) {
    super(message);
    this.name = 'AzureError';
    this.code = code;
    this.arm_code = arm_code;
    this.http_status = http_status;
    this.retry_after_ms = retry_after_ms;
    this.retryable = RETRYABLE.has(code);
  }

  get throttled(): boolean {
    return this.code === 'AZURE_THROTTLED';
  }

  toActionError(): ActionError {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

interface RestErrorShape {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  response?: { headers?: { get(name: string): string | undefined } };
}

/** A Retry-After longer than this is cut: the loop's deadline decides, not the server. */
const RETRY_AFTER_MAX_MS = 30_000;

function retryAfterMs(e: RestErrorShape): number | undefined {
  const h = e.response?.headers;
  const ms = Number(h?.get('retry-after-ms') ?? h?.get('x-ms-retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return Math.min(ms, RETRY_AFTER_MAX_MS);
  const s = Number(h?.get('retry-after'));
  return Number.isFinite(s) && s >= 0 && h?.get('retry-after') !== undefined
    ? Math.min(s * 1000, RETRY_AFTER_MAX_MS)
    : undefined;
}

/** core-rest-pipeline wraps a failed send as REQUEST_SEND_ERROR: the request never reached ARM. */
const NETWORK_CODES: ReadonlySet<string> = new Set([...NETWORK_ERROR_CODES, 'REQUEST_SEND_ERROR']);

const CREDENTIAL_ERRORS = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
]);

/** Maps anything the SDK (or the socket, or the credential) threw to an AzureError. */
export function classify(err: unknown, action: string): AzureError {
  if (err instanceof AzureError) return err;
  const e = (err ?? {}) as RestErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const text = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : name;
  if (CREDENTIAL_ERRORS.has(name))
    return new AzureError(
      'AZURE_AUTH',
      name,
      `${action}: cannot authenticate (${name}): ${firstLine(text)} — check the VM's managed identity (or managed_identity_client_id) and that IMDS answers`,
    );
  if (/long-running operation has failed/i.test(text))
    return new AzureError('AZURE_OPERATION_FAILED', 'OperationFailed', `${action}: ${firstLine(text)}`);
  if (status === undefined) {
    if (NETWORK_CODES.has(code) || name === 'AbortError' || name === 'TimeoutError')
      return new AzureError(
        'AZURE_UNREACHABLE',
        code,
        `${action}: cannot reach ARM (${code}: ${firstLine(text)}); check arm_endpoint, DNS, routes and the CA`,
      );
    return new AzureError('AZURE_INVALID', code, `${action}: ${firstLine(text)}`);
  }
  return byStatus(status, code, text, action, retryAfterMs(e));
}

function byStatus(
  status: number,
  code: string,
  text: string,
  action: string,
  retry_after_ms: number | undefined,
): AzureError {
  const msg = `${action}: ${code}: ${firstLine(text)}`;
  if (status === 401)
    return new AzureError('AZURE_AUTH', code, `${msg} — the token was refused; check the identity`, status);
  if (status === 403)
    return new AzureError(
      'AZURE_FORBIDDEN',
      code,
      `${msg} — add the missing action to this node's role (\`tandem azure-role\`)`,
      status,
    );
  if (status === 404)
    return new AzureError('AZURE_NOT_FOUND', code, `${msg} — check the name in the config`, status);
  if (status === 409) return new AzureError('AZURE_BUSY', code, msg, status, retry_after_ms);
  if (status === 412) return new AzureError('AZURE_PRECONDITION', code, msg, status);
  if (status === 429) return new AzureError('AZURE_THROTTLED', code, msg, status, retry_after_ms);
  if (status >= 500) return new AzureError('AZURE_SERVER', code, msg, status, retry_after_ms);
  if (code === 'PrivateIPAddressIsAllocated') return new AzureError('AZURE_ADDRESS_HELD', code, msg, status);
  return new AzureError('AZURE_INVALID', code, msg, status);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

export function toActionError(err: unknown): ActionError {
  return classify(err, 'azure').toActionError();
}
