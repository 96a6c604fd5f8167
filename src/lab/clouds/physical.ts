// The physical lab: a LAN of network namespaces (src/lab/netns.ts) with the two nodes, a client and a
// switch. The nodes claim a virtual IP with gratuitous ARP; the client asks the VIP who it is every
// 20 ms (the agents' status pages answer on the LAN), so "the traffic moved" is what a client sees.
// Needs root: namespaces, veth pairs, a bridge and nftables.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serveUnixSocket } from '../../agent/unix-forward.js';
import { createLan, type NftRule, nft, setLink, spawnInNs } from '../netns.js';
import type { CloudRig, LabCloud, NodeName, SpawnedProcess, StartContext, TrafficOwner } from '../types.js';

const KEEPALIVE_PORT = 20480;
const STATUS_PORT = 20481;
const WAN_PORT = 7070;
const PROBE_EVERY_MS = 20;
/** A probe answer older than this no longer says who serves the VIP. */
const PROBE_FRESH_MS = 250;

const PROBE = `
const [vip, port, every] = process.argv.slice(1);
setInterval(async () => {
  const t = Date.now();
  let node = null;
  try {
    const r = await fetch('http://' + vip + ':' + port + '/status', { signal: AbortSignal.timeout(200) });
    node = (await r.json()).node ?? null;
  } catch {}
  console.log(JSON.stringify({ t, node }));
}, Number(every));`;

const WAN = `require('node:net').createServer((s) => s.end()).listen(${WAN_PORT}, '0.0.0.0');`;

export const physicalCloud: LabCloud = {
  name: 'physical',
  summary: 'a LAN of network namespaces: virtual IP + gratuitous ARP, a client probing the VIP',
  unavailable: () => {
    if (process.getuid?.() !== 0)
      return 'the physical lab builds network namespaces, veth pairs and a bridge, so it needs root: run it with sudo, or use --cloud aws (no root needed)';
    for (const tool of ['ip', 'socat', 'arping', 'nft'])
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      } catch {
        return `the physical lab needs \`${tool}\`: run bash scripts/setup.sh (iproute2, socat, iputils-arping, nftables)`;
      }
    return null;
  },
  start: startPhysical,
};

async function startPhysical(ctx: StartContext): Promise<CloudRig> {
  const lan = await createLan({ hosts: ['a', 'b', 'client'], tag: 'tdlab' });
  const stoppers: (() => Promise<void> | void)[] = [() => lan.destroy()];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.splice(0).reverse()) await Promise.resolve(s()).catch(() => undefined);
  };
  try {
    const vip = lan.vip(0);
    const client = lan.host('client');
    const wan = spawnInNs(client.ns, [process.execPath, '-e', WAN]);
    const probe = spawnInNs(client.ns, [
      process.execPath,
      '-e',
      PROBE,
      vip,
      String(STATUS_PORT),
      String(PROBE_EVERY_MS),
    ]);
    let last: { t: number; node: string | null } = { t: 0, node: null };
    probe.onLine((text) => {
      try {
        last = JSON.parse(text) as { t: number; node: string | null };
      } catch {
        // A stray line is not an answer.
      }
    });
    const rules: Record<string, NftRule | undefined> = {};
    const setRule = async (key: string, make: () => Promise<NftRule>, on: boolean) => {
      if (on && rules[key] === undefined) rules[key] = await make();
      if (!on && rules[key] !== undefined) {
        await rules[key].remove();
        rules[key] = undefined;
      }
    };
    const host = (node: NodeName) => lan.host(node);
    const rig: CloudRig = {
      site: { kind: 'physical' },
      api_name: null,
      traffic_figure: 'vip_moved_ms',
      trafficText: (node) => `the client's probe of the VIP ${vip} answered by node-${node}`,
      describe: [
        `LAN ${lan.id}: node-a ${host('a').lan.address}, node-b ${host('b').lan.address}, client ${client.lan.address} on one bridge`,
        `virtual IP ${vip}/24 on the active node's lan0, gratuitous ARP on claim; the client asks the VIP who it is every ${PROBE_EVERY_MS} ms`,
        `keepalives: unicast UDP ${KEEPALIVE_PORT} on the LAN`,
      ],
      nodeParts: (node) => {
        const peer: NodeName = node === 'a' ? 'b' : 'a';
        const monitors: Record<string, unknown>[] = [];
        // A service link: down ⇒ the node is unfit and hands over (docs/agent.md).
        if (ctx.monitors.includes('link'))
          monitors.push({ kind: 'link', name: 'lan-link', interface: 'lan0' });
        if (ctx.monitors.includes('wan'))
          monitors.push({
            kind: 'tcp',
            name: 'wan',
            host: client.lan.address,
            port: WAN_PORT,
            interval_ms: ctx.timing.interval_ms,
            timeout_ms: ctx.timing.interval_ms,
          });
        return {
          paths: [
            {
              name: 'lan',
              local_address: host(node).lan.address,
              peer_address: host(peer).lan.address,
              port: KEEPALIVE_PORT,
            },
          ],
          actions: [{ kind: 'vip', interface: 'lan0', address: `${vip}/24` }],
          monitors,
          env: {},
          mgmt_ip: host(node).lan.address,
          subnet: '10.77.0.0/24',
          status_listen: `0.0.0.0:${STATUS_PORT}`,
        };
      },
      spawn: (node, argv, env): SpawnedProcess => {
        const p = spawnInNs(host(node).ns, argv, { env });
        return { child: p.child, kill: (signal) => p.kill(signal), exited: p.exited.then(() => undefined) };
      },
      controllerAccess: (url) => {
        // The nodes' namespaces cannot reach this host's loopback; a unix socket reaches every namespace.
        const path = join(ctx.dir, 'controller.sock');
        const serving = serveUnixSocket(path, Number(new URL(url).port));
        stoppers.push(async () => {
          (await serving).close();
        });
        return { url, socket: path };
      },
      observeTraffic: async (): Promise<TrafficOwner> => {
        if (Date.now() - last.t > PROBE_FRESH_MS) return 'none';
        if (last.node === 'node-a') return 'a';
        if (last.node === 'node-b') return 'b';
        return 'none';
      },
      setKeepalives: async (node, up) => {
        for (const n of node === 'both' ? (['a', 'b'] as const) : [node])
          await setRule(`ka-${n}`, () => nft.dropUdpPort(host(n).ns, KEEPALIVE_PORT), !up);
      },
      setLink: (node, up) => setLink(lan, node, up ? 'up' : 'down', 'switch'),
      setWan: (node, up) =>
        setRule(`wan-${node}`, () => nft.blockTcpTo(host(node).ns, client.lan.address, WAN_PORT), !up),
      apiCalls: () => null,
      trafficWrites: () => null,
      stop,
    };
    stoppers.push(() => {
      probe.kill('SIGKILL');
      wan.kill('SIGKILL');
    });
    return rig;
  } catch (err) {
    await stop();
    throw err;
  }
}
