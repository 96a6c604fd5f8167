// Writes the two node configs and starts the agents, each as its own process where its cloud puts it.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { LabController } from './controller.js';
import type { CloudRig, LabTiming, NodeName } from './types.js';

const HERE = fileURLToPath(import.meta.url);
/** The entries sit next to this file: .ts when the lab runs from source (tsx), .js from dist/. */
const EXT = extname(HERE);
export const AGENT_ENTRY = join(dirname(HERE), `agent-main${EXT}`);

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
    const cfg = {
      pair: 'lab-pair',
      node: NODE_NAMES[node],
      role: node === 'a' ? 'primary' : 'secondary',
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
      log_level: 'info',
    };
    const config = join(dir, `${NODE_NAMES[node]}.yaml`);
    writeFileSync(config, stringify(cfg));
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Nothing of the operator's own AWS setup may leak into a simulated instance.
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    Object.assign(env, parts.env, access.env, {
      TANDEM_LAB_STATUS_SOCKET: join(dir, `status-${node}.sock`),
      TANDEM_LAB_CREDENTIAL_FILE: join(dir, `credential-${node}.json`),
      TANDEM_LAB_ENROLLMENT_TOKEN: controller.enrollment(node === 'a' ? 'primary' : 'secondary'),
      TANDEM_LAB_REPORT_MS: String(Math.max(50, Math.round(timing.interval_ms / 2))),
    });
    out[node] = { config, admin_token_file, status_socket: join(dir, `status-${node}.sock`), env };
  }
  return out;
}
