import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/** Key material that must never reach a log line, a status page or `--check` output. */
export class Secret {
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  /** The only way to the bytes: callers that sign or verify. */
  reveal(): Uint8Array {
    return this.#bytes;
  }
  get length(): number {
    return this.#bytes.length;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
