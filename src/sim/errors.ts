// One error type for the whole simulator: the protocol layer renders `code` and `status` the way each cloud does.

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. Retry-After on a throttle. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export function isSimError(e: unknown): e is SimError {
  return e instanceof SimError;
}
