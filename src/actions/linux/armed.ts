// A command started ahead of need and held at a shell's `read`: firing it writes one line, and the
// shell execs the command at once. Why: forking the agent (a ~60 MB Node process) for `arping` or `na6`
// took milliseconds on a loaded host, on the claim's critical path; a waiting /bin/sh is forked off
// that path and its exec is cheap. The arguments are fixed when armed (a VIP's first
// announcement is known from the config) and reach the command as "$@", never through the shell's
// parser. A shell that loses its stdin (the agent died or closed it) exits without running anything.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { ToolOutcome } from './command.js';

/** Runs "$@" only on the exact line `run`; EOF or anything else exits without running. */
const HOLD = 'read -r go && [ "$go" = run ] && exec "$@"';

/** Bounds a fired command like any other tool run (command.ts TOOL_TIMEOUT_MS). */
const FIRED_TIMEOUT_MS = 5000;
const OUTPUT_MAX = 4000;

/** What a fired command gives back: it is running now, and its outcome once it exits. */
export interface Fired {
  readonly exited: Promise<ToolOutcome>;
  /** Kills the fired process (a release cancels announcements still running). */
  kill(signal?: NodeJS.Signals): void;
}

/** Child stdio as net sockets: unref() lets an idle armed shell never hold the agent's event loop. */
type Unrefable = { unref?: () => void; ref?: () => void };

export class ArmedCommand {
  #child: ChildProcess | null = null;
  #closed = false;

  constructor(
    readonly file: string,
    readonly args: readonly string[],
  ) {}

  /** Starts the waiting shell if none waits; idempotent. */
  arm(): void {
    if (this.#closed || this.#child !== null) return;
    const child = spawn('/bin/sh', ['-c', HOLD, 'tandem-armed', this.file, ...this.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.on('error', () => {
      if (this.#child === child) this.#child = null;
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    // An EPIPE on a shell that died meanwhile is reported by fire()'s outcome, not thrown.
    child.stdin?.on('error', () => undefined);
    for (const s of [child, child.stdin, child.stdout, child.stderr] as Unrefable[]) s?.unref?.();
    this.#child = child;
  }

  /**
   * Runs the armed command now and arms the next one once it exits; null when none is armed (then the
   * caller runs the tool the ordinary way).
   */
  fire(): Fired | null {
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.stdin === null) return null;
    this.#child = null;
    for (const s of [child, child.stdin, child.stdout, child.stderr] as Unrefable[]) s?.ref?.();
    const exited = collect(child, this.file);
    (child.stdin as Writable).end('run\n');
    void exited.then(() => this.arm());
    return { exited, kill: (signal = 'SIGKILL') => void child.kill(signal) };
  }

  /** Lets the waiting shell go (it exits on EOF without running anything); no more arming. */
  close(): void {
    this.#closed = true;
    this.#child?.stdin?.end();
    this.#child = null;
  }
}

function collect(child: ChildProcess, file: string): Promise<ToolOutcome> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const take = (stream: Readable | null, add: (s: string) => void): void => {
      stream?.setEncoding('utf8');
      stream?.on('data', (s: string) => add(s));
    };
    take(child.stdout, (s) => {
      if (stdout.length < OUTPUT_MAX) stdout += s;
    });
    take(child.stderr, (s) => {
      if (stderr.length < OUTPUT_MAX) stderr += s;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), FIRED_TIMEOUT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      // The shell's own 127 is exec's "not found": the same as a spawn error of the tool itself.
      if (code === 127) resolve({ code: null, stdout, stderr, spawn_error: `${file}: ENOENT` });
      else resolve({ code: signal === null ? code : null, stdout, stderr: stderr || (signal ?? '') });
    });
  });
}
