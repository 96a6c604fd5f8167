// What the simulated-cloud labs (AWS, Azure) share: the simulator, two agents on a private loopback
// /24 with their keepalives through the lab's relay, a WAN target per node, and the node's LAN health
// check on a file. Each cloud module adds only its world, its actions and how it reads the traffic.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Scenario, type Sim, startSim } from '../../sim/index.js';
import { KeepaliveRelay } from '../relay.js';
import type { CloudRig, NodeName, SpawnedProcess, StartContext } from '../types.js';
import { WanTarget } from '../wan-target.js';

export interface LoopbackWorld {
  readonly sim: Sim;
  readonly addr: (n: number) => string;
  readonly port: number;
  /** The rig fields every loopback cloud fills the same way. */
  readonly rig: Pick<
    CloudRig,
    'spawn' | 'controllerAccess' | 'setKeepalives' | 'setLink' | 'setWan' | 'stop'
  >;
  /** The describe line for the keepalive path. */
  readonly keepalives: string;
  /** The node's keepalive path and monitors (LAN health check, WAN probe) for its config. */
  parts(node: NodeName): { paths: Record<string, unknown>[]; monitors: Record<string, unknown>[] };
}

/** Starts the simulator and the loopback plumbing; on failure everything started is stopped again. */
export async function startLoopback(ctx: StartContext, scenario: Scenario): Promise<LoopbackWorld> {
  // A private 127.x.y.0/24 per run, so parallel labs and tests never hear each other.
  const x = 100 + Math.floor(Math.random() * 150);
  const y = Math.floor(Math.random() * 250);
  const addr = (n: number) => `127.${x}.${y}.${n}`;
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const sim = await startSim({ scenario });
  const stoppers: (() => Promise<void> | void)[] = [() => sim.close()];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse()) await s();
  };
  try {
    if (ctx.timing.api_latency_ms > 0) sim.faults.set({ action: '*', latency_ms: ctx.timing.api_latency_ms });
    const relay = await KeepaliveRelay.open({
      a: addr(1),
      b: addr(2),
      face_of_a: addr(11),
      face_of_b: addr(12),
      port,
    });
    stoppers.push(() => relay.close());
    const wan = { a: new WanTarget(addr(21), port), b: new WanTarget(addr(22), port) };
    for (const w of Object.values(wan)) {
      await w.start();
      stoppers.push(() => w.stop());
    }
    const linkFile = (node: NodeName) => join(ctx.dir, `lan-down-${node}`);
    return {
      sim,
      addr,
      port,
      keepalives: `keepalives: ${addr(1)} ⇄ relay ⇄ ${addr(2)} UDP ${port}, unicast`,
      rig: {
        spawn: (_node, argv, env) => spawnLocal(argv, env),
        controllerAccess: (url) => ({ url, socket: null }),
        setKeepalives: async (node, up) => relay.set(node, up),
        // A cloud NIC has no carrier to pull: the lab fails the node's LAN health check (a `check` monitor
        // on a file) and cuts its keepalives, which is how a dead LAN interface looks from inside the VM.
        setLink: async (node, up) => {
          if (up) rmSync(linkFile(node), { force: true });
          else writeFileSync(linkFile(node), 'down\n');
          relay.set(node, up);
        },
        setWan: (node, up) => (up ? wan[node].start() : wan[node].stop()),
        stop,
      },
      parts: (node) => nodeParts(node, ctx, addr, port, wan[node], linkFile(node)),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function nodeParts(
  node: NodeName,
  ctx: StartContext,
  addr: (n: number) => string,
  port: number,
  wan: WanTarget,
  linkFile: string,
): { paths: Record<string, unknown>[]; monitors: Record<string, unknown>[] } {
  const t = ctx.timing;
  const monitors: Record<string, unknown>[] = [];
  if (ctx.monitors.includes('link'))
    monitors.push({
      kind: 'check',
      name: 'lan-link',
      command: `test ! -e '${linkFile}'`,
      interval_ms: t.interval_ms,
      timeout_ms: 1000,
    });
  if (ctx.monitors.includes('wan'))
    monitors.push({
      kind: 'tcp',
      name: 'wan',
      host: wan.host,
      port: wan.port,
      interval_ms: t.interval_ms,
      timeout_ms: t.interval_ms,
    });
  const paths = [
    {
      name: 'lan',
      local_address: addr(node === 'a' ? 1 : 2),
      peer_address: addr(node === 'a' ? 12 : 11),
      port,
    },
  ];
  return { paths, monitors };
}

export function spawnLocal(argv: readonly string[], env: NodeJS.ProcessEnv): SpawnedProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty argv');
  // Its own process group: a kill reaches the agent and anything it started (check scripts).
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    exited,
    kill(signal) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    },
  };
}

/** Routed via the pair once the lab changes the site's settings (not one the cloud's traffic check reads). */
export const LAB_EXTRA_DESTINATION = '192.168.201.0/24';
