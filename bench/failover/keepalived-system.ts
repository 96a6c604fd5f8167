// keepalived as a SystemUnderTest: primary ⇒ priority 200 (starts MASTER), secondary ⇒ 100.
import { spawnSync } from 'node:child_process';
import { type KeepalivedNode, startKeepalived, type VrrpState, writeCheckedConfig } from './keepalived.js';
import type { BenchRole, NodeHandle, NodePlan, SystemUnderTest } from './system.js';

const ROLE_OF: Record<VrrpState, BenchRole | undefined> = {
  MASTER: 'active',
  BACKUP: 'standby',
  FAULT: 'fault',
  STOP: undefined,
};

export const keepalivedSystem: SystemUnderTest = {
  name: 'keepalived',
  // VRRP runs on the LAN interface only: one link per node, as most keepalived pairs run.
  second_link: false,
  async unavailable() {
    const v = spawnSync('keepalived', ['--version']);
    return v.error ? 'keepalived is not installed (apt-get install keepalived)' : undefined;
  },
  async startNode(plan: NodePlan): Promise<NodeHandle> {
    const node: KeepalivedNode = {
      name: plan.name,
      interface: plan.ifname,
      src_ip: plan.address,
      peer_ip: plan.peer_address,
      vip: plan.vip,
      prefix: plan.prefix,
      priority: plan.role === 'primary' ? 200 : 100,
      advert_int_ms: plan.interval_ms,
      preempt: plan.preempt,
      vrid: 51,
    };
    const file = await writeCheckedConfig(plan.ns, plan.dir, node);
    const k = startKeepalived(plan.ns, node, file, plan.dir);
    const changes = (): { t_ms: number; role: BenchRole }[] =>
      k.roleChanges.flatMap((c) => {
        const role = ROLE_OF[c.state];
        return role === undefined ? [] : [{ t_ms: c.t_ms, role }];
      });
    return {
      name: plan.name,
      roleChanges: changes,
      role: () => changes().at(-1)?.role ?? 'init',
      stop: () => k.stop(),
      kill9: () => k.kill9(),
    };
  },
};
