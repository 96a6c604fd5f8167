// One pair on a namespace LAN with a client: echo responders on both nodes, the system under test
// on both, and the prober in the client namespace. Built fresh for every repetition.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../test/agent/lab.js';
import { VipWatch } from '../../test/agent/vip-watch.js';
import {
  createLan,
  eventually,
  type Lan,
  type Spawned,
  spawnInNs,
  tsNode,
} from '../../test/helpers/netns.js';
import { captureAnnouncements, type WireCapture } from '../../test/helpers/wire.js';
import { nowMs } from './keepalived.js';
import type { Reply } from './replies.js';
import type { NodeHandle, NodePlan, SystemUnderTest } from './system.js';

export const ECHO_PORT = 7777;
export const PROBE_INTERVAL_MS = 5;

const here = new URL('.', import.meta.url).pathname;

export interface Rig {
  readonly lan: Lan;
  readonly a: NodeHandle;
  readonly b: NodeHandle;
  readonly replies: Reply[];
  /** With `watch`: `ip -ts monitor address` in both nodes' namespaces. */
  readonly vipWatch?: VipWatch;
  /** The VIP's announcements as the client's interface sees them. */
  readonly wire: WireCapture;
  destroy(): Promise<void>;
}

function waitForLine(p: Spawned, wanted: (line: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    p.onLine((line) => {
      if (wanted(line)) resolve();
    });
    void p.exited.then(({ code }) => reject(new Error(`${what} exited (${code}): ${p.stderr()}`)));
  });
}

export async function startRig(
  sut: SystemUnderTest,
  interval_ms: number,
  preempt = true,
  watch = false,
): Promise<Rig> {
  const second_link = sut.second_link;
  const lan = await createLan({
    hosts: [{ name: 'a', second_link }, { name: 'b', second_link }, 'client'],
  });
  const dir = await mkdtemp(join(tmpdir(), 'tdl-bench-'));
  // The kernel's own account of who holds the VIP, subscribed before any node can claim it.
  const vipWatch = watch
    ? new VipWatch({ ns: (n: string) => lan.host(n).ns, vip: lan.vip(0) } as Pick<Lab, 'ns' | 'vip'>, [
        'a',
        'b',
      ])
    : undefined;
  await vipWatch?.ready();
  const client = lan.host('client');
  const wire = await captureAnnouncements(client.ns, client.lan.ifname, lan.vip(0), { realtime: true });
  const destroy = async (): Promise<void> => {
    wire.stop();
    vipWatch?.stop();
    await lan.destroy();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const name of ['a', 'b']) {
      const echo = spawnInNs(lan.host(name).ns, tsNode(join(here, 'echo.ts'), name, String(ECHO_PORT)));
      await waitForLine(echo, (l) => l === 'listening', `echo on ${name}`);
    }
    const plan = (me: 'a' | 'b', peer: 'a' | 'b'): NodePlan => {
      const h = lan.host(me);
      const p = lan.host(peer);
      return {
        name: me,
        role: me === 'a' ? 'primary' : 'secondary',
        ns: h.ns,
        ifname: h.lan.ifname,
        address: h.lan.address,
        peer_address: p.lan.address,
        ...(h.ha && p.ha
          ? { ha: { ifname: h.ha.ifname, address: h.ha.address, peer_address: p.ha.address } }
          : {}),
        vip: lan.vip(0),
        prefix: 24,
        interval_ms,
        preempt,
        dir,
      };
    };
    const a = await sut.startNode(plan('a', 'b'));
    const b = await sut.startNode(plan('b', 'a'));
    const settle_ms = 20 * interval_ms + 15_000;
    await eventually(
      () => a.role() === 'active' && b.role() === 'standby',
      settle_ms,
      `${sut.name}: a active, b standby`,
    );
    const replies: Reply[] = [];
    const prober = spawnInNs(
      lan.host('client').ns,
      tsNode(join(here, 'prober.ts'), lan.vip(0), String(ECHO_PORT), String(PROBE_INTERVAL_MS)),
    );
    prober.onLine((line) => {
      const r = JSON.parse(line) as Partial<Reply>;
      if (typeof r.t === 'number' && typeof r.node === 'string') replies.push(r as Reply);
    });
    const since = nowMs();
    await eventually(() => replies.some((r) => r.node === 'a' && r.t > since), 15_000, 'client served by a');
    return { lan, a, b, replies, wire, destroy, ...(vipWatch ? { vipWatch } : {}) };
  } catch (err) {
    await destroy();
    throw err;
  }
}
