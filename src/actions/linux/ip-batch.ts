// One long-lived `ip -force -batch -` per namespace: a claim writes a line to it instead of forking the
// agent for `ip`, which took 10–20 ms on a loaded host against ~1–2 ms this way (bench:failover).
// `ip` in batch mode prints nothing on success, and on a failure its error then
// `Command failed -:<line>` on stderr (unbuffered), and goes on (-force). So every command is followed
// by a marker line that always fails (a device name longer than the kernel allows): the marker's
// failure says the command before it is done, and a failure of the command's own line says it failed.
// Only plain arguments go this way (no blank, quote, backslash or '#', which the batch parser reads);
// anything else, or a dead batch process, is left to the caller's ordinary `ip` run.
import { type ChildProcess, spawn } from 'node:child_process';
import { TOOL_TIMEOUT_MS, type ToolOutcome } from '../../net/run-tool.js';

/** 16+ characters: no interface can have this name (IFNAMSIZ is 16 with the NUL). */
const MARKER = 'link show dev tandem-batch-marker';
const STDERR_MAX = 4000;
const PLAIN = /^[^\s"'\\#]+$/;

/**
 * A running batch is asked for a bare marker this often: a wedged `ip` is found (and replaced) before a
 * claim needs it, and the agent's path that writes to it and reads its answer stays compiled. That path
 * is Node's own stream code, compiled on first use: a claim that ran it first took ~0.5 ms longer.
 */
export const PING_EVERY_MS = 30_000;

interface Waiting {
  /** The line before the marker: the command's own, or (a ping) the previous marker's. */
  readonly line: number;
  failed: boolean;
  stderr: string;
  readonly resolve: (out: ToolOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export class IpBatch {
  #child: ChildProcess | null = null;
  #line = 0;
  #partial = '';
  readonly #waiting: Waiting[] = [];
  #closed = false;
  #pinger: NodeJS.Timeout | null = null;

  readonly #ping_every_ms: number;
  readonly #timeout_ms: number;

  /** `timing`: tests shorten the ping period and the per-command bound. */
  constructor(
    private readonly netns: string | undefined,
    timing: { readonly ping_every_ms?: number; readonly timeout_ms?: number } = {},
  ) {
    this.#ping_every_ms = timing.ping_every_ms ?? PING_EVERY_MS;
    this.#timeout_ms = timing.timeout_ms ?? TOOL_TIMEOUT_MS;
  }

  /** Starts the batch process if none runs; idempotent. */
  start(): void {
    if (this.#closed || this.#child !== null) return;
    const args = [...(this.netns === undefined ? [] : ['-n', this.netns]), '-force', '-batch', '-'];
    const child = spawn('ip', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#line = 0;
    this.#partial = '';
    child.on('error', () => this.#lost(child));
    child.once('exit', () => this.#lost(child));
    child.stdin?.on('error', () => this.#lost(child));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.#read(text));
    // An idle batch process must not hold the agent's event loop open.
    for (const s of [child, child.stdin, child.stderr] as { unref?: () => void }[]) s?.unref?.();
    this.#child = child;
    void this.ping();
    if (this.#pinger === null) {
      // A batch lost meanwhile (wedged and killed, or exited) is started again here, not on the claim.
      this.#pinger = setInterval(
        () => (this.#child === null ? this.start() : void this.ping()),
        this.#ping_every_ms,
      );
      this.#pinger.unref();
    }
  }

  /**
   * A bare marker through the running batch: true once `ip` has answered it. False when no batch runs
   * (the next run() starts one) or it did not answer in time (it is killed and replaced).
   */
  ping(): Promise<boolean> {
    const child = this.#child;
    if (child === null || child.stdin === null) return Promise.resolve(false);
    return this.#send(child, this.#line, `${MARKER}\n`, 1).then((out) => out.code !== null);
  }

  /**
   * Runs `ip <args>` through the batch process; null when it cannot (not started, gone, or arguments
   * the batch parser would read differently): the caller then runs `ip` itself.
   */
  run(args: readonly string[]): Promise<ToolOutcome> | null {
    if (!args.every((a) => PLAIN.test(a))) return null;
    const child = this.#child;
    if (child === null || child.stdin === null) {
      // Lost since the last command: start a fresh one for the next, and let this one run on its own.
      this.start();
      return null;
    }
    return this.#send(child, this.#line + 1, `${args.join(' ')}\n${MARKER}\n`, 2);
  }

  /** Writes `lines` lines, the last of them a marker, and resolves when `ip` has answered the marker. */
  #send(child: ChildProcess, line: number, text: string, lines: number): Promise<ToolOutcome> {
    this.#line += lines;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Wedged: give the caller a failure, and the next claim a fresh process.
        child.kill('SIGKILL');
        this.#lost(child);
      }, this.#timeout_ms);
      this.#waiting.push({ line, failed: false, stderr: '', resolve, timer });
      child.stdin?.write(text);
    });
  }

  /** Ends the batch process (EOF) and starts no other. */
  close(): void {
    this.#closed = true;
    if (this.#pinger !== null) clearInterval(this.#pinger);
    this.#pinger = null;
    this.#child?.stdin?.end();
    if (this.#child !== null) this.#lost(this.#child);
  }

  #read(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const l of lines) this.#onLine(l);
  }

  #onLine(l: string): void {
    const head = this.#waiting[0];
    if (head === undefined) return;
    const failed = /^Command failed -:(\d+)$/.exec(l);
    if (failed === null) {
      // Lines after the command's own failure are the marker's.
      if (!head.failed && head.stderr.length < STDERR_MAX) head.stderr += `${l}\n`;
      return;
    }
    const n = Number(failed[1]);
    if (n === head.line) {
      head.failed = true;
      return;
    }
    if (n !== head.line + 1) return;
    // The marker failed as it always does: the command is done.
    this.#waiting.shift();
    clearTimeout(head.timer);
    head.resolve({ code: head.failed ? 1 : 0, stdout: '', stderr: head.failed ? head.stderr : '' });
  }

  /** The process is gone: whatever waits fails (the caller retries); the next run() starts a fresh one. */
  #lost(child: ChildProcess): void {
    if (this.#child !== child) return;
    this.#child = null;
    for (const w of this.#waiting.splice(0)) {
      clearTimeout(w.timer);
      w.resolve({ code: null, stdout: '', stderr: 'the ip batch process ended' });
    }
  }
}
