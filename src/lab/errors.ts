// The lab's errors: bad options (exit 2) and a step that missed its deadline (exit 1).
export class LabError extends Error {
  constructor(
    readonly code: 'unknown-cloud' | 'unknown-scenario' | 'unsupported' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

/** A step that did not happen within its deadline: the lab names it and exits non-zero. */
export class StepFailedError extends Error {
  readonly code = 'step-failed';
  constructor(
    readonly step: string,
    readonly deadline_ms: number,
    detail: string,
  ) {
    super(`step "${step}" did not happen within ${deadline_ms} ms${detail ? ` (${detail})` : ''}`);
  }
}
