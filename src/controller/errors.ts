// Every refusal the API gives: a stable code, an HTTP status and a message that says what to do.

export type ErrorCode =
  | 'invalid-request'
  | 'unauthenticated'
  | 'credential-revoked'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'enrollment-invalid'
  | 'ip-outside-subnet'
  | 'ip-reserved'
  | 'ranges-overlap'
  | 'invalid-subnet'
  | 'model-mismatch'
  | 'floating-ip-outside-range'
  | 'role-taken'
  | 'remove-secondary-first'
  | 'cloud-settings-mismatch'
  | 'node-offline'
  | 'node-removed'
  | 'unavailable'
  | 'busy';

const STATUS: Record<ErrorCode, number> = {
  'invalid-request': 400,
  unauthenticated: 401,
  'credential-revoked': 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'enrollment-invalid': 401,
  'ip-outside-subnet': 422,
  'ip-reserved': 422,
  'ranges-overlap': 422,
  'invalid-subnet': 422,
  'model-mismatch': 422,
  'floating-ip-outside-range': 422,
  'role-taken': 409,
  'remove-secondary-first': 409,
  'cloud-settings-mismatch': 422,
  'node-offline': 409,
  // Gone: the agent learns from this code that it was unassigned, not that its credential is unknown.
  'node-removed': 410,
  unavailable: 503,
  busy: 429,
};

export class ControllerError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Where in the request the problem is, e.g. "/mgmt_ip". */
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
    this.path = path;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; path?: string };
}

export function errorBody(code: string, message: string, path?: string): ErrorBody {
  return path === undefined ? { error: { code, message } } : { error: { code, message, path } };
}
