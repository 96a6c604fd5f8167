// Runs a tool (ip, arping, …) without a shell: arguments are never interpreted, and every run is
// bounded in time. Used by the Linux actions and by the agent's neighbour check.
import { execFile } from 'node:child_process';

export interface ToolOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** ENOENT, EACCES: the tool itself could not be started. */
  readonly spawn_error?: string;
}

/** `ip` commands finish in milliseconds; anything slower is a stuck kernel or netlink lock. */
export const TOOL_TIMEOUT_MS = 5000;

export function runTool(
  file: string,
  args: readonly string[],
  timeout_ms = TOOL_TIMEOUT_MS,
): Promise<ToolOutcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeout_ms, killSignal: 'SIGKILL', encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stdout, stderr });
        const errno = (err as NodeJS.ErrnoException).code;
        if (typeof errno === 'string')
          return resolve({ code: null, stdout, stderr, spawn_error: `${file}: ${errno}` });
        const code = typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr: stderr || err.message });
      },
    );
  });
}
