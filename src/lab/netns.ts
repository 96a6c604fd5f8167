// Real Linux LANs for tests and benchmarks, built from network namespaces.
//
//   const lan = await createLan({ hosts: ['a', 'b', { name: 'client' }, 'wan'], second_link: ['a', 'b'] });
//   lan.host('a')            → { ns, ifname: 'lan0', address: '10.77.0.11', mac, ha?: { ifname: 'ha0', address } }
//   await nsExec(lan.host('a').ns, ['ip', 'addr'])
//   const p = spawnInNs(lan.host('a').ns, ['node', ...]); p.kill('SIGKILL'); await p.exited
//   await setLink(lan, 'a', 'down', 'switch')   // the node sees carrier loss
//   const rule = await nft.dropUdpPort(ns, 20480); await rule.remove()
//   await lan.destroy()
//
// Topology: one "switch" namespace holds a bridge per path (br0 = LAN, br1 = HA path 2); every host
// is its own namespace with `lan0` (and `ha0`) attached to the bridge by a veth pair created
// directly between the two namespaces, so nothing ever appears in the root namespace. Namespace
// names carry the tag, our pid and a random suffix (`tdl-1a2b-x7k2-a`): parallel test files never
// collide, and namespaces left by a crashed run (pid gone) are reaped by the next createLan().
// Everything is removed by destroy(), and also on process exit or SIGINT/SIGTERM.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

export const TAG = 'tdl';
export const LAN_SUBNET = '10.77.0';
export const HA_SUBNET = '10.78.0';
/** With `ipv6`: each host's LAN link also gets `fd77::<.11+i>/64`; from `fd77::100` up are free for VIPs. */
export const LAN_SUBNET6 = 'fd77::';
/** Host i (0-based) gets .11+i; addresses from .100 up are free for VIPs. */
const HOST_OFFSET = 11;

export interface HostSpec {
  readonly name: string;
  /** Add `ha0` on a second bridge (HA path 2). */
  readonly second_link?: boolean;
}

export interface LanOptions {
  /** Host names, ≤ 8 characters (they appear in interface names). */
  readonly hosts: readonly (string | HostSpec)[];
  /** Prefix of the namespace names (default `tdl`); the lab uses its own. */
  readonly tag?: string;
  /** Keep IPv6 on the hosts (off by default: RS and DAD only add noise) and address the LAN in `fd77::/64`. */
  readonly ipv6?: boolean;
}

export interface HostLink {
  readonly ifname: string;
  readonly address: string;
  readonly prefix: number;
  readonly mac: string;
  /** The veth end in the switch namespace. */
  readonly switch_port: string;
  /** With `ipv6` (LAN link only): the host's IPv6 address, prefix 64. */
  readonly address6?: string;
}

export interface Host {
  readonly name: string;
  readonly ns: string;
  readonly lan: HostLink;
  readonly ha?: HostLink;
}

export interface Lan {
  readonly id: string;
  readonly switch_ns: string;
  readonly hosts: ReadonlyMap<string, Host>;
  host(name: string): Host;
  /** A free LAN address for a VIP (n = 0, 1, …). */
  vip(n?: number): string;
  /** A free IPv6 LAN address for a VIP (with `ipv6`). */
  vip6(n?: number): string;
  destroy(): Promise<void>;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// ---------------------------------------------------------------------------------------------
// Commands in a namespace

/** Runs argv in `ns` (no shell) and waits. Throws on a non-zero exit unless `allow_failure`. */
export function nsExec(
  ns: string,
  argv: readonly string[],
  options: { allow_failure?: boolean; timeout_ms?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return run('ip', ['netns', 'exec', ns, ...argv], options);
}

function run(
  file: string,
  args: readonly string[],
  options: { allow_failure?: boolean; timeout_ms?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(file, args, { stdio: [stdin, 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout_ms ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { code: code ?? -1, stdout, stderr };
      if (r.code !== 0 && options.allow_failure !== true) {
        reject(new Error(`${file} ${args.join(' ')} → exit ${r.code}: ${stderr.trim()}`));
      } else resolve(r);
    });
    if (child.stdin) {
      // A child that exits before reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export interface Spawned {
  readonly ns: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Signals the whole process group (the program and anything it started). */
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Calls `onLine` for every stdout line. */
  onLine(onLine: (line: string) => void): void;
  /** stderr collected so far (bounded), for failure messages. */
  stderr(): string;
}

const liveProcesses = new Set<Spawned>();

/** Starts a long-running program in `ns` (its own process group); killed on destroy or exit. */
export function spawnInNs(
  ns: string,
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Spawned {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')} in ${ns}`);
  const pid = child.pid;
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    if (err.length < 16_384) err += b.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawned: Spawned = {
    ns,
    child,
    pid,
    kill(signal = 'SIGTERM') {
      try {
        process.kill(-pid, signal);
      } catch {
        // Already gone.
      }
    },
    exited,
    onLine(onLine) {
      if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    },
    stderr: () => err,
  };
  liveProcesses.add(spawned);
  void exited.then(() => liveProcesses.delete(spawned));
  return spawned;
}

/** argv that runs a TypeScript file with this Node and tsx (for spawnInNs). */
export function tsNode(script: string, ...args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', script, ...args];
}

// ---------------------------------------------------------------------------------------------
// The LAN

const liveNamespaces = new Set<string>();

function uniqueId(tag: string): string {
  return `${tag}-${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
}

function normalise(h: string | HostSpec): HostSpec {
  return typeof h === 'string' ? { name: h } : h;
}

export async function createLan(options: LanOptions): Promise<Lan> {
  installExitCleanup();
  const tag = options.tag ?? TAG;
  await reapStaleNamespaces(tag);
  const id = uniqueId(tag);
  const switch_ns = `${id}-sw`;
  const specs = options.hosts.map(normalise);
  for (const s of specs) {
    if (!/^[a-z][a-z0-9]{0,7}$/.test(s.name)) throw new Error(`host name "${s.name}": use 1–8 of [a-z0-9]`);
  }
  const created: string[] = [];
  const hosts = new Map<string, Host>();
  const lan: Lan = {
    id,
    switch_ns,
    hosts,
    host(name) {
      const h = hosts.get(name);
      if (h === undefined) throw new Error(`no host ${name} in LAN ${id}`);
      return h;
    },
    vip: (n = 0) => `${LAN_SUBNET}.${100 + n}`,
    vip6: (n = 0) => `${LAN_SUBNET6}${100 + n}`,
    destroy: () => destroyNamespaces(created),
  };
  try {
    await addNamespace(switch_ns, created);
    await ip(['-n', switch_ns, 'link', 'add', `${TAG}-br0`, 'type', 'bridge']);
    await ip(['-n', switch_ns, 'link', 'set', `${TAG}-br0`, 'up']);
    if (specs.some((s) => s.second_link === true)) {
      await ip(['-n', switch_ns, 'link', 'add', `${TAG}-br1`, 'type', 'bridge']);
      await ip(['-n', switch_ns, 'link', 'set', `${TAG}-br1`, 'up']);
    }
    for (const [i, spec] of specs.entries()) {
      const ns = `${id}-${spec.name}`;
      await addNamespace(ns, created, options.ipv6 === true);
      let lanLink = await attach(ns, switch_ns, spec.name, i, 'lan0', `${TAG}-br0`, LAN_SUBNET, 0);
      if (options.ipv6 === true) {
        const address6 = `${LAN_SUBNET6}${HOST_OFFSET + i}`;
        // nodad: usable at once, so the first test step does not race a tentative address.
        await ip(['-n', ns, 'addr', 'add', `${address6}/64`, 'dev', 'lan0', 'nodad']);
        lanLink = { ...lanLink, address6 };
      }
      const haLink =
        spec.second_link === true
          ? await attach(ns, switch_ns, spec.name, i, 'ha0', `${TAG}-br1`, HA_SUBNET, 1)
          : undefined;
      hosts.set(spec.name, { name: spec.name, ns, lan: lanLink, ...(haLink ? { ha: haLink } : {}) });
    }
    return lan;
  } catch (err) {
    await destroyNamespaces(created);
    throw err;
  }
}

async function addNamespace(ns: string, created: string[], ipv6 = false): Promise<void> {
  await ip(['netns', 'add', ns]);
  created.push(ns);
  liveNamespaces.add(ns);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  // No IPv6 unless asked: router solicitations and DAD would only add noise to captures and timings.
  // With IPv6: no router solicitations and no DAD on new interfaces, for the same reason; and static
  // addresses survive an admin down (keep_addr_on_down), as a host's network manager restores them:
  // with the kernel default they vanish, the node's keepalive address with them.
  await nsExec(
    ns,
    ipv6
      ? [
          'sysctl',
          '-qw',
          'net.ipv6.conf.default.accept_dad=0',
          'net.ipv6.conf.default.router_solicitations=0',
          'net.ipv6.conf.default.accept_ra=0',
          'net.ipv6.conf.default.keep_addr_on_down=1',
        ]
      : ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
  );
}

async function attach(
  ns: string,
  switch_ns: string,
  host: string,
  index: number,
  ifname: string,
  bridge: string,
  subnet: string,
  path: number,
): Promise<HostLink> {
  const port = `${TAG}-${host}-${path}`;
  const address = `${subnet}.${HOST_OFFSET + index}`;
  await ip(['link', 'add', ifname, 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', switch_ns]);
  await ip(['-n', switch_ns, 'link', 'set', port, 'master', bridge, 'up']);
  await ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', ifname]);
  await ip(['-n', ns, 'link', 'set', ifname, 'up']);
  const shown = await ip(['-n', ns, '-j', 'link', 'show', 'dev', ifname]);
  const mac = (JSON.parse(shown.stdout) as { address: string }[])[0]?.address ?? '';
  return { ifname, address, prefix: 24, mac, switch_port: port };
}

function ip(args: readonly string[]): Promise<ExecResult> {
  return run('ip', args);
}

async function destroyNamespaces(names: readonly string[]): Promise<void> {
  // Processes inside would keep a namespace's interfaces alive: stop them first.
  const doomed = [...liveProcesses].filter((p) => names.includes(p.ns));
  for (const p of doomed) p.kill('SIGKILL');
  await Promise.all(doomed.map((p) => p.exited));
  for (const ns of [...names].reverse()) {
    await run('ip', ['netns', 'del', ns], { allow_failure: true });
    liveNamespaces.delete(ns);
  }
}

/** Removes `<tag>-<pid>-…` namespaces whose creating process no longer exists. */
async function reapStaleNamespaces(tag: string): Promise<void> {
  const list = await run('ip', ['netns', 'list'], { allow_failure: true });
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${tag}-([0-9a-z]+)-[0-9a-f]{6}-`).exec(name);
    if (m?.[1] === undefined) continue;
    const pid = Number.parseInt(m[1], 36);
    if (pid === process.pid || isAlive(pid)) continue;
    await run('ip', ['netns', 'del', name], { allow_failure: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let exitCleanupInstalled = false;

function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  const cleanupSync = (): void => {
    for (const p of liveProcesses) p.kill('SIGKILL');
    for (const ns of liveNamespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
    liveNamespaces.clear();
  };
  process.once('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanupSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

/**
 * Sets a host's link down or up. `switch` acts on the veth end in the switch namespace: the host
 * sees carrier loss (operstate lowerlayerdown), like a pulled cable. `host` sets the host's own
 * interface admin down, which the host sees as a local shutdown.
 */
export async function setLink(
  lan: Lan,
  hostName: string,
  state: 'up' | 'down',
  side: 'switch' | 'host',
  path: 'lan' | 'ha' = 'lan',
): Promise<void> {
  const host = lan.host(hostName);
  const link = path === 'lan' ? host.lan : host.ha;
  if (link === undefined) throw new Error(`host ${hostName} has no ${path} link`);
  if (side === 'switch') await ip(['-n', lan.switch_ns, 'link', 'set', link.switch_port, state]);
  else await ip(['-n', host.ns, 'link', 'set', link.ifname, state]);
}

export interface NftRule {
  /** Removes exactly this rule set (its own table). */
  remove(): Promise<void>;
}

let nftCounter = 0;

/** Loads `body` (chains and rules) into a fresh `inet` table of its own in `ns`. */
export async function nftApply(ns: string, body: string): Promise<NftRule> {
  nftCounter += 1;
  const table = `${TAG}_${process.pid}_${nftCounter}`;
  await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: `table inet ${table} {\n${body}\n}\n` });
  return {
    async remove() {
      await nsExec(ns, ['nft', 'delete', 'table', 'inet', table], { allow_failure: true });
    },
  };
}

type Direction = 'in' | 'out' | 'both';

const chains = (rule: string, direction: Direction = 'both'): string =>
  [
    direction !== 'out' ? `chain in { type filter hook input priority -10; policy accept; ${rule} }` : '',
    direction !== 'in' ? `chain out { type filter hook output priority -10; policy accept; ${rule} }` : '',
  ].join('\n');

export const nft = {
  /** Drops UDP to or from `port`, in and out. */
  dropUdpPort: (ns: string, port: number) =>
    nftApply(
      ns,
      `chain in { type filter hook input priority -10; policy accept; udp dport ${port} drop; udp sport ${port} drop; }
       chain out { type filter hook output priority -10; policy accept; udp dport ${port} drop; udp sport ${port} drop; }`,
    ),
  /** Drops `percent` % of the packets at random, on input, output or each on its own. */
  randomLoss: (ns: string, percent: number, direction: Direction = 'both') =>
    nftApply(ns, chains(`numgen random mod 100 < ${percent} drop;`, direction)),
  /** Drops every packet to or from `address` (ICMP, TCP, UDP alike). */
  blockAddress: (ns: string, address: string) =>
    nftApply(
      ns,
      `chain in { type filter hook input priority -10; policy accept; ip saddr ${address} drop; }
       chain out { type filter hook output priority -10; policy accept; ip daddr ${address} drop; }`,
    ),
  /** Drops ICMP echo to `address` only. */
  blockIcmpTo: (ns: string, address: string) =>
    nftApply(
      ns,
      `chain out { type filter hook output priority -10; policy accept; ip daddr ${address} icmp type echo-request drop; }`,
    ),
  /** Drops TCP to `port` of `address`. */
  blockTcpTo: (ns: string, address: string, port: number) =>
    nftApply(
      ns,
      `chain out { type filter hook output priority -10; policy accept; ip daddr ${address} tcp dport ${port} drop; }`,
    ),
};

// ---------------------------------------------------------------------------------------------
// Observing

/** The MAC a host's neighbour table holds for `address`, or undefined. */
export async function neighbourMac(ns: string, address: string): Promise<string | undefined> {
  const out = await nsExec(ns, ['ip', '-j', 'neigh', 'show', address]);
  const entries = JSON.parse(out.stdout || '[]') as { lladdr?: string; state?: string[] }[];
  return entries.find((e) => e.lladdr !== undefined)?.lladdr;
}

/** Addresses (`address/prefix`) on `ifname` in `ns`: IPv4 unless `family` is `inet6`. */
export async function addressesOf(
  ns: string,
  ifname: string,
  family: 'inet' | 'inet6' = 'inet',
): Promise<string[]> {
  const out = await nsExec(ns, ['ip', '-j', 'addr', 'show', 'dev', ifname]);
  const links = JSON.parse(out.stdout) as {
    addr_info?: { family?: string; local?: string; prefixlen?: number }[];
  }[];
  return links.flatMap((l) =>
    (l.addr_info ?? []).filter((a) => a.family === family).map((a) => `${a.local}/${a.prefixlen}`),
  );
}

/** Polls `probe` until it returns true or `deadline_ms` passes (generous deadlines only: no perf asserts). */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  deadline_ms = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + deadline_ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`${what} not reached within ${deadline_ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
