// tandem as a SystemUnderTest: one `tandem agent` per node, configured like the keepalived pair
// (same interval, dead after 3 intervals, preempt, the same VIP), plus what tandem has and
// keepalived has not: keepalives on the second link when the LAN has one, and the LAN port watched
// as a service link (down ⇒ the node is unfit and hands over at once).
// Roles come from the agent's JSON log (`"msg":"state change"` with `to`).
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnInNs, tsNode } from '../../test/helpers/netns.js';
import { nowMs } from './keepalived.js';
import type { BenchRole, NodeHandle, NodePlan, RoleChange, SystemUnderTest } from './system.js';

const REPO = new URL('../../', import.meta.url).pathname;
const CLI = join(REPO, 'src/cli/main.ts');
const AGENT_COMMAND = join(REPO, 'src/cli/commands/agent.ts');
const KEY_ENV = 'TANDEM_BENCH_PAIR_KEY';
/** A fixed benchmark key: both nodes must share it; it protects nothing outside the namespaces. */
const BENCH_KEY = Buffer.alloc(32, 7).toString('base64');

const ROLE_OF: Record<string, BenchRole | undefined> = {
  active: 'active',
  standby: 'standby',
  fault: 'fault',
};

export function tandemConfig(plan: NodePlan): Record<string, unknown> {
  const paths = [{ name: 'lan', local_address: plan.address, peer_address: plan.peer_address }];
  if (plan.ha) paths.push({ name: 'ha', local_address: plan.ha.address, peer_address: plan.ha.peer_address });
  return {
    pair: 'bench',
    node: plan.name,
    role: plan.role,
    pair_key_env: KEY_ENV,
    interval_ms: plan.interval_ms,
    dead_multiplier: 3,
    preempt: plan.preempt,
    paths,
    monitors: [{ kind: 'link', name: 'lan-port', interface: plan.ifname }],
    actions: [{ kind: 'vip', interface: plan.ifname, address: `${plan.vip}/${plan.prefix}` }],
    log_level: 'info',
  };
}

export const tandemSystem: SystemUnderTest = {
  name: 'tandem',
  async unavailable() {
    return existsSync(AGENT_COMMAND) ? undefined : 'needs `tandem agent` (src/cli/commands/agent.ts)';
  },
  async startNode(plan: NodePlan): Promise<NodeHandle> {
    const file = join(plan.dir, `${plan.name}.yaml`);
    await writeFile(file, stringify(tandemConfig(plan)));
    const proc = spawnInNs(plan.ns, tsNode(CLI, 'agent', '--config', file), {
      env: { ...process.env, [KEY_ENV]: BENCH_KEY },
      cwd: REPO,
    });
    const changes: RoleChange[] = [];
    proc.onLine((line) => {
      if (!line.includes('"state change"')) return;
      try {
        const entry = JSON.parse(line) as { msg?: string; to?: string };
        const role = ROLE_OF[entry.to ?? ''];
        if (entry.msg === 'state change' && role !== undefined) changes.push({ t_ms: nowMs(), role });
      } catch {
        // Not a log line of ours.
      }
    });
    return {
      name: plan.name,
      roleChanges: () => changes,
      role: () => changes.at(-1)?.role ?? 'init',
      async stop() {
        proc.kill('SIGTERM');
        await proc.exited;
      },
      async kill9() {
        proc.kill('SIGKILL');
        await proc.exited;
      },
    };
  },
};
