// Writes the two node configs; each node runs the shipped `tandem agent --config FILE`, as a user runs it,
// where its cloud puts it, with the options that cross network namespaces (unix sockets).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { LabController } from './controller.js';
import type { CloudRig, LabTiming, NodeName } from './types.js';

const HERE = fileURLToPath(import.meta.url);
/** The CLI's entry: .ts when the lab runs from source (tsx), .js from dist/. */
const EXT = extname(HERE);
export const CLI_ENTRY = join(dirname(HERE), '..', 'cli', `main${EXT}`);
/** Reports every half second (the agent's minimum): a settings change reaches the node within that. */
export const REPORT_INTERVAL_MS = 500;

/** argv that runs one of our entries with this Node and the same loader (tsx from source). */
export function nodeArgv(entry: string, ...args: string[]): string[] {
  return [process.execPath, ...process.execArgv, entry, ...args];
}

export const NODE_NAMES: Record<NodeName, string> = { a: 'node-a', b: 'node-b' };

export interface NodeFiles {
  readonly config: string;
  readonly admin_token_file: string;
  /** The node's status and admin API, reachable from the lab whatever namespace the node is in. */
  readonly status_socket: string;
  readonly env: NodeJS.ProcessEnv;
  /** `tandem agent --config …` and the namespace-crossing options. */
  readonly argv: readonly string[];
}

export function writeNodes(
  dir: string,
  rig: CloudRig,
  controller: LabController,
  timing: LabTiming,
): Record<NodeName, NodeFiles> {
  writeFileSync(join(dir, 'pair.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
  const access = rig.controllerAccess(controller.url);
  const out = {} as Record<NodeName, NodeFiles>;
  for (const node of ['a', 'b'] as const) {
    const parts = rig.nodeParts(node);
    const admin_token_file = join(dir, `admin-${node}.token`);
    const role = node === 'a' ? 'primary' : 'secondary';
    const token_file = join(dir, `enrollment-${node}.token`);
    writeFileSync(token_file, controller.enrollment(role), { mode: 0o600 });
    const cfg = {
      pair: 'lab-pair',
      node: NODE_NAMES[node],
      role,
      pair_key_file: 'pair.key',
      interval_ms: timing.interval_ms,
      dead_multiplier: timing.dead_multiplier,
      wan_loss_relinquish_ms: timing.wan_loss_relinquish_ms,
      action_deadline_ms: 20_000,
      paths: parts.paths,
      ...(parts.monitors.length > 0 ? { monitors: parts.monitors } : {}),
      actions: parts.actions,
      status: { listen: parts.status_listen ?? '127.0.0.1:0', admin_token_file },
      controller_url: access.url,
      controller_enrollment_token_file: token_file,
      controller_credential_file: join(dir, `credential-${node}.json`),
      controller_report_interval_ms: REPORT_INTERVAL_MS,
      // The cloud settings come from the controller's site (the lab changes them).
      ...(rig.site.cloud !== undefined ? { managed: ['cloud'] } : {}),
      log_level: 'info',
    };
    const config = join(dir, `${NODE_NAMES[node]}.yaml`);
    writeFileSync(config, stringify(cfg));
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Nothing of the operator's own AWS setup may leak into a simulated instance.
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    Object.assign(env, parts.env);
    const status_socket = join(dir, `status-${node}.sock`);
    const argv = nodeArgv(
      CLI_ENTRY,
      'agent',
      '--config',
      config,
      '--status-socket',
      status_socket,
      ...(access.socket !== null ? ['--controller-socket', access.socket] : []),
    );
    out[node] = { config, admin_token_file, status_socket, env, argv };
  }
  return out;
}
