// `ip` and `arping` for the Linux actions, optionally inside a named netns, and their failures as typed errors.
import { runTool, type ToolOutcome } from '../../net/run-tool.js';
import type { ActionError } from '../types.js';

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
