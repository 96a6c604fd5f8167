// Runs one external command with a hard timeout. The child gets its own process group so a timeout
// kills everything it started (a user script's `sleep`, a hung `ping`), not just the shell.
import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly timeout_ms: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Output beyond this is dropped: a chatty script must not grow our memory. */
  readonly output_bytes_max?: number;
  /** Run as this user and group (notify scripts need none of the agent's root power). */
  readonly uid?: number;
  readonly gid?: number;
}

export interface RunOutcome {
  /** Exit code, or null when the process was killed or never started. */
  readonly code: number | null;
  readonly timed_out: boolean;
  readonly aborted: boolean;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  readonly spawn_error?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly duration_ms: number;
}

const OUTPUT_BYTES_MAX = 8192;

/** `argv[0]` is run without a shell; use `['/bin/sh', '-c', cmd]` for a user command line. */
export function runCommand(argv: readonly string[], options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const limit = options.output_bytes_max ?? OUTPUT_BYTES_MAX;
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error('runCommand needs a command');
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: options.env ?? process.env,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      });
    } catch (err) {
      // Some exec failures throw at once instead of emitting 'error' (EPERM: a file capability the bounding
      // set cannot grant, as ping's cap_net_raw under a service without CAP_NET_RAW).
      const spawn_error = (err as Error).message;
      resolve({
        code: null,
        timed_out: false,
        aborted: false,
        spawn_error,
        stdout: '',
        stderr: '',
        duration_ms: 0,
      });
      return;
    }
    let stdout = '';
    let stderr = '';
    let timed_out = false;
    let aborted = false;
    let spawn_error: string | undefined;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing to kill.
      }
    };
    const timer = setTimeout(() => {
      timed_out = true;
      killGroup();
    }, options.timeout_ms);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    child.stdout!.on('data', (b: Buffer) => {
      if (stdout.length < limit) stdout += b.toString('utf8').slice(0, limit - stdout.length);
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < limit) stderr += b.toString('utf8').slice(0, limit - stderr.length);
    });
    child.on('error', (err) => {
      spawn_error = err.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // The shell may exit while its children live on (a backgrounded `sleep`): reap the group.
      killGroup();
      resolve({
        code: spawn_error === undefined ? code : null,
        timed_out,
        aborted,
        ...(spawn_error === undefined ? {} : { spawn_error }),
        stdout,
        stderr,
        duration_ms: performance.now() - started,
      });
    });
  });
}
