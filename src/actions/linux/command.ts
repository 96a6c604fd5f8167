// Runs ip/arping without a shell (arguments are never interpreted), optionally inside a named netns.
import { execFile } from 'node:child_process';
import type { ActionError } from '../types.js';

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

/** `ip [-n ns] args…` */
export function ip(netns: string | undefined, args: readonly string[]): Promise<ToolOutcome> {
  return runTool('ip', netns === undefined ? args : ['-n', netns, ...args]);
}

/** The argv that runs `file args…` in `netns` (or here). */
export function inNetns(
  netns: string | undefined,
  file: string,
  args: readonly string[],
): [string, string[]] {
  return netns === undefined ? [file, [...args]] : ['ip', ['netns', 'exec', netns, file, ...args]];
}

export function actionError(code: string, message: string, retryable: boolean): ActionError {
  return { code, message, retryable };
}

/** Maps an `ip` failure to a typed error; `what` names the operation for the message. */
export function ipFailure(code: string, what: string, out: ToolOutcome): ActionError {
  if (out.spawn_error !== undefined) {
    return actionError('TOOL_MISSING', `${what}: ${out.spawn_error}; install iproute2`, false);
  }
  const stderr = out.stderr.trim();
  if (/Operation not permitted/i.test(stderr)) {
    return actionError(
      'NOT_PERMITTED',
      `${what}: ${stderr}; run the agent as root or with CAP_NET_ADMIN`,
      false,
    );
  }
  if (/Cannot find device|does not exist/i.test(stderr)) {
    return actionError(
      'INTERFACE_MISSING',
      `${what}: ${stderr}; check the interface name in the config`,
      true,
    );
  }
  if (/Invalid|Error: .*(prefix|address|argument)/i.test(stderr)) {
    return actionError('INVALID_ARGUMENT', `${what}: ${stderr}; fix the address/route in the config`, false);
  }
  return actionError(code, `${what}: ${stderr || `exit ${out.code}`}`, true);
}
