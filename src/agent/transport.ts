// UDP keepalives: one socket per path, unicast to the peer (or a multicast group on a LAN), each
// keepalive sent `copies` times a few ms apart so that one lost packet never looks like a dead peer.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import type { Advert } from '../core/index.js';
import { type StuckEntry, unstickNeighbour } from '../net/neighbour.js';
import {
  decodeKeepalive,
  type Keepalive,
  type KeepaliveBody,
  KeepaliveSealer,
  nodeIdOf,
  pairIdOf,
  ReplayGuard,
} from '../wire/index.js';
import type { PathConfig } from './config.js';
import type { AgentMetrics } from './metrics.js';
import type { Secret } from './secret.js';

/** Our own reject reason: a well-formed packet from an address that is not the peer's on this path. */
export const UNKNOWN_SOURCE = 'unknown-source';

/** A path's socket could not be bound: the message says which address and what to check. */
export class BindError extends Error {
  readonly code = 'KEEPALIVE_BIND_FAILED';
  constructor(path: PathConfig, err: NodeJS.ErrnoException) {
    const where = `${path.multicast_group ?? path.local_address}:${path.port}`;
    const hint =
      err.code === 'EADDRINUSE'
        ? 'another process (a second agent?) holds this port'
        : err.code === 'EADDRNOTAVAIL'
          ? `is ${path.local_address} configured on an interface of this host?`
          : 'check the address and port of this path';
    super(`path ${path.name}: cannot bind ${where} (${err.code ?? err.message}); ${hint}`);
    this.name = 'BindError';
  }
}

export interface TransportOptions {
  readonly pair: string;
  readonly node: string;
  readonly paths: readonly PathConfig[];
  readonly key: Secret;
  /** During a key rotation: also accepted (never used to sign). */
  readonly next_key?: Secret | null;
  readonly copies: number;
  readonly spacing_ms: number;
  readonly max_clock_skew_ms: number;
  readonly metrics: AgentMetrics;
  readonly log: Logger;
  /** Wall clock for `sent_at_ms` and freshness only; detection runs on the monotonic clock. */
  readonly wallNow?: () => number;
  /**
   * A path's local address is gone (deaf) or back. Checked when a send fails, and on every send while
   * deaf: an admin link down flushes IPv6 addresses (keep_addr_on_down=0), and the socket, still bound,
   * hears nothing and cannot send.
   */
  readonly onPathDeaf?: (path: string, deaf: boolean) => void;
  /**
   * Is the agent a dead interval behind its own clock (a pause, a stalled loop)? Then what the socket
   * holds is a backlog: read to its end and dropped (see #flush).
   */
  readonly stalled?: () => boolean;
  /** Deletes the stuck neighbour entries for an address (see src/net/neighbour.ts); replaceable in tests. */
  readonly unstick?: (address: string) => Promise<StuckEntry[]>;
}

/**
 * A neighbour check waits this long: never in the loop turn that may claim. Forking `ip` from the agent
 * blocks its loop for 1–3 ms, and a claim in the same step waited for it (bench:failover: claim →
 * announced went from 1.7 to 5.8 ms when the check ran at once on `path-down`, in the claiming step).
 */
export const UNSTICK_DELAY_MS = 20;

/** Reading a backlog is bounded: at most this many loop turns, then it is over anyway. */
export const DRAIN_TURNS_MAX = 64;
/**
 * A loop turn that read this many keepalives read a backlog, which may go on in the socket (libuv reads
 * at most 32 datagrams a socket a turn). A turn on time reads one or two a path: copies are ms apart.
 */
export const BACKLOG_READS = 16;

/** What a reload may change without rebinding a socket. */
export interface TransportSettings {
  readonly key: Secret;
  readonly next_key: Secret | null;
  readonly copies: number;
  readonly spacing_ms: number;
  readonly max_clock_skew_ms: number;
}

/** The first authentication failure from the peer warns at once; later ones at most this often. */
export const AUTH_WARN_EVERY_MS = 10_000;
/** Failures older than this no longer count: the keys were fixed, or it was one corrupted packet. */
export const AUTH_FAILURE_RECENT_MS = 60_000;

/** Keepalives from the peer's own address that fail authentication: the pair keys differ. */
export interface AuthFailures {
  readonly count: number;
  /** Monotonic ms of the latest one, null if none. */
  readonly last_ms: number | null;
}

export interface Heard {
  readonly path: string;
  readonly advert: Advert;
}

interface Link {
  readonly path: PathConfig;
  readonly socket: Socket;
  /** Sends the keepalives: `socket` itself, except on an IPv6 group (see #ipv6Sender). */
  readonly sender: Socket;
  /** Where keepalives go: the peer's address, or the group. */
  readonly target: string;
}

export class Transport {
  readonly #opts: TransportOptions;
  #settings: TransportSettings;
  readonly #links: Link[] = [];
  readonly #guard = new ReplayGuard();
  readonly #pairId: bigint;
  readonly #nodeId: number;
  readonly #sealer: KeepaliveSealer;
  readonly #pending = new Set<NodeJS.Timeout>();
  /** The newest keepalive heard (by seq within a boot): an older packet never rolls the peer's state back. */
  #newest: Keepalive | null = null;
  /** Its advert, built once per burst that delivers it (null: not built yet). */
  #newestAdvert: Advert | null = null;
  /** Per path, the packet that last counted as hearing the peer there: the first copy of its round. */
  readonly #roundOf = new Map<string, Keepalive>();
  /** Paths heard since the last delivery: one burst of reads (see #flush). */
  readonly #heard = new Set<string>();
  #onHeard: (heard: Heard) => void = () => {};
  #flushQueued = false;
  /** Packets read since the last #flush: in this loop turn. */
  #turnReads = 0;
  /** Packets read since the last delivery. */
  #burst = 0;
  /** Loop turns spent reading a backlog (0: none under way). */
  #drainTurns = 0;
  /** The backlog is read after a stall: it is dropped, not delivered. */
  #dropping = false;
  #closed = false;
  #authFailures = 0;
  #authLast_ms: number | null = null;
  #authWarned_ms: number | null = null;
  #authSinceWarn = 0;
  /** Paths whose local address is gone. */
  readonly #deaf = new Set<string>();
  /** Unicast paths whose peer's neighbour entry is checked at the first packet heard (see reresolve). */
  readonly #recheck = new Set<string>();
  /** Paths whose neighbour check is scheduled or running. */
  readonly #unsticking = new Map<string, NodeJS.Timeout>();
  /** The advert last sent: sent again on a path whose stuck neighbour entry was deleted. */
  #lastAdvert: Advert | null = null;

  private constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#settings = {
      key: opts.key,
      next_key: opts.next_key ?? null,
      copies: opts.copies,
      spacing_ms: opts.spacing_ms,
      max_clock_skew_ms: opts.max_clock_skew_ms,
    };
    this.#pairId = pairIdOf(opts.pair);
    this.#nodeId = nodeIdOf(opts.node);
    this.#sealer = new KeepaliveSealer(opts.key.reveal(), { pair_id: this.#pairId, node_id: this.#nodeId });
  }

  /** A reload: new keys sign the next packet; the sockets, boot id and sequence stay. */
  reconfigure(settings: TransportSettings): void {
    this.#settings = settings;
    this.#sealer.rekey(settings.key.reveal());
  }

  /** Binds every path's socket; fails (closing what it opened) if any cannot be bound. */
  static async open(opts: TransportOptions, onHeard: (heard: Heard) => void): Promise<Transport> {
    const t = new Transport(opts);
    t.#onHeard = onHeard;
    try {
      for (const path of opts.paths) t.#links.push(await t.#bind(path));
      // A restart may find an entry left stuck by the last run.
      for (const link of t.#links) if (isUnicast(link)) t.#recheck.add(link.path.name);
    } catch (err) {
      await t.close();
      throw err;
    }
    return t;
  }

  /** Failures from the peer's address, and whether they are recent enough to matter. */
  authFailures(now_ms = performance.now()): AuthFailures & { readonly recent: boolean } {
    const last = this.#authLast_ms;
    return {
      count: this.#authFailures,
      last_ms: last,
      recent: last !== null && now_ms - last < AUTH_FAILURE_RECENT_MS,
    };
  }

  /** Loud, but rate-limited: a peer with another key sends one bad packet per interval and path. */
  #authFailed(path: string, from: string): void {
    const now_ms = performance.now();
    this.#authFailures += 1;
    this.#authLast_ms = now_ms;
    this.#authSinceWarn += 1;
    if (this.#authWarned_ms !== null && now_ms - this.#authWarned_ms < AUTH_WARN_EVERY_MS) return;
    this.#opts.log.warn(
      { path, from, failures: this.#authSinceWarn, total: this.#authFailures },
      'keepalives from the peer fail authentication: pair keys differ?',
    );
    this.#authWarned_ms = now_ms;
    this.#authSinceWarn = 0;
  }

  async #bind(path: PathConfig): Promise<Link> {
    const socket = createSocket({ type: path.family === 'ipv4' ? 'udp4' : 'udp6', reuseAddr: false });
    socket.on('message', (msg, rinfo) => this.#receive(path, msg, rinfo));
    socket.on('error', (err) =>
      this.#opts.log.warn({ path: path.name, err: err.message }, 'keepalive socket error'),
    );
    const group = multicastOf(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => reject(new BindError(path, err)));
      if (group instanceof Error) return reject(new BindError(path, group));
      // A multicast path binds the group so that the socket sees only the pair's traffic.
      socket.bind({ address: group?.scoped ?? path.local_address, port: path.port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (group !== null && !(group instanceof Error)) {
      socket.addMembership(group.address, group.membership);
      socket.setMulticastInterface(group.membership);
      socket.setMulticastLoopback(false);
      socket.setMulticastTTL(1);
    }
    if (group === null || group instanceof Error)
      return { path, socket, sender: socket, target: path.peer_address };
    const sender = path.family === 'ipv6' ? await this.#ipv6Sender(path, group, socket) : socket;
    return { path, socket, sender, target: group.scoped };
  }

  /**
   * A socket bound to our unicast address for sending to an IPv6 group: from the group-bound socket
   * the kernel would pick the link-local source for a link-scope group, and the peer accepts
   * keepalives only from our configured address.
   */
  async #ipv6Sender(path: PathConfig, group: Group, receiver: Socket): Promise<Socket> {
    const sender = createSocket({ type: 'udp6', reuseAddr: false });
    sender.on('error', (err) =>
      this.#opts.log.warn({ path: path.name, err: err.message }, 'keepalive socket error'),
    );
    await new Promise<void>((resolve, reject) => {
      sender.once('error', (err: NodeJS.ErrnoException) => {
        receiver.close();
        reject(new BindError(path, err));
      });
      sender.bind({ address: path.local_address, port: 0 }, () => {
        sender.removeAllListeners('error');
        sender.on('error', (err) =>
          this.#opts.log.warn({ path: path.name, err: err.message }, 'keepalive socket error'),
        );
        resolve();
      });
    });
    sender.setMulticastInterface(group.membership);
    sender.setMulticastLoopback(false);
    sender.setMulticastTTL(1);
    return sender;
  }

  #receive(path: PathConfig, msg: Buffer, rinfo: RemoteInfo): void {
    const { metrics } = this.#opts;
    // The kernel's spelling of the peer's address is the config's almost always: compare the strings
    // first, and parse both only when they differ (this runs for every packet).
    if (rinfo.address !== path.peer_address && !sameAddress(rinfo.address, path.peer_address)) {
      metrics.rejected.inc({ path: path.name, reason: UNKNOWN_SOURCE });
      return;
    }
    const result = this.#decode(msg);
    if (!result.ok) {
      metrics.rejected.inc({ path: path.name, reason: result.reason });
      if (result.reason === 'bad-mac') this.#authFailed(path.name, rinfo.address);
      this.#opts.log.debug(
        { path: path.name, from: rinfo.address, reason: result.reason },
        'keepalive rejected',
      );
      return;
    }
    metrics.received.inc({ path: path.name });
    // Hearing the peer proves the link works: our sends to it must not wait for a stuck entry. A check
    // already scheduled or running may predate this packet: the next one heard after it asks again.
    if (this.#recheck.has(path.name) && !this.#unsticking.has(path.name)) {
      this.#recheck.delete(path.name);
      const link = this.#links.find((l) => l.path === path);
      if (link !== undefined) this.#unstick(link);
    }
    this.#keepNewest(result.packet);
    // A later copy of a round already heard proves nothing new: the peer's silence counts from the
    // round's first copy, so copies never stretch the dead interval past dead_multiplier × interval.
    const round = this.#roundOf.get(path.name);
    if (round === undefined || !isLaterCopy(result.packet, round)) {
      this.#roundOf.set(path.name, result.packet);
      this.#heard.add(path.name);
    }
    this.#turnReads += 1;
    this.#burst += 1;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      setImmediate(this.#flush);
    }
  }

  /**
   * The core hears a burst, not a packet. Read oldest first, every packet of a backlog is "the newest so
   * far": after a pause (SIGSTOP, a long GC, a VM freeze) the oldest may say `disabled` while the later
   * ones say `active`, and the core would claim at once on a state the peer has left. So the packets read
   * in one loop turn (the poll phase; setImmediate runs right after it) are collected, and the core gets,
   * for each path heard, only the newest advert of all: one setImmediate a burst, no delay past the turn
   * that read them. A turn that read BACKLOG_READS or more may have left the rest of a backlog in the
   * socket: reading goes on, turn after turn, until a turn reads fewer.
   *
   * After a stall (the shell a dead interval behind its own deadline), if the socket's receive buffer
   * filled, the kernel dropped the newest packets and kept the oldest: even the newest advert of the
   * backlog may be seconds old. So the backlog is read to its end (until a turn reads nothing) and
   * dropped: it says where the peer was, not where it is. The core, told it was deaf, listens for the
   * peer's next packet (one interval) or a whole dead interval, as at boot.
   */
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const reads = this.#turnReads;
    this.#turnReads = 0;
    if (this.#closed || this.#heard.size === 0) return;
    if (!this.#dropping && this.#stalled()) this.#dropping = true;
    const more = this.#dropping ? reads > 0 : reads >= BACKLOG_READS;
    if (more && this.#drainTurns < DRAIN_TURNS_MAX) {
      this.#drainTurns += 1;
      this.#flushQueued = true;
      setImmediate(this.#flush);
    } else if (this.#dropping) this.#drop();
    else this.#deliver();
  };

  #drop(): void {
    this.#opts.log.info(
      { packets: this.#burst, turns: this.#drainTurns },
      'keepalive backlog dropped after a stall: the peer is judged on what it sends from now on',
    );
    this.#heard.clear();
    // The next packet is heard even if it is a copy of one in the dropped backlog.
    this.#roundOf.clear();
    this.#burst = 0;
    this.#drainTurns = 0;
    this.#dropping = false;
  }

  #stalled(): boolean {
    return this.#opts.stalled?.() ?? false;
  }

  /**
   * Delivers what was read but not yet delivered, unless it is a backlog after a stall. The shell calls it
   * before a tick: timers run before I/O, and a tick on time must judge the peer on everything read so far.
   */
  settle(): void {
    if (this.#heard.size === 0 || this.#dropping) return;
    // The queued #flush goes on reading and drops the backlog: the shell's stall is over once its tick ran.
    if (this.#stalled()) this.#dropping = true;
    else this.#deliver();
  }

  #deliver(): void {
    this.#burst = 0;
    this.#drainTurns = 0;
    const newest = this.#newest;
    if (newest === null || this.#heard.size === 0) return;
    this.#newestAdvert ??= advertOf(newest);
    const advert = this.#newestAdvert;
    for (const path of this.#heard) {
      this.#heard.delete(path);
      this.#onHeard({ path, advert });
    }
  }

  /**
   * With the current key, then (during a rotation, and only for a bad MAC) with the next one: a peer
   * that switched first is heard without a moment of rejection. The guard changes only on acceptance.
   */
  #decode(msg: Buffer): ReturnType<typeof decodeKeepalive> {
    const { key, next_key, max_clock_skew_ms } = this.#settings;
    const ctx = {
      key: key.reveal(),
      pair_id: this.#pairId,
      self_node_id: this.#nodeId,
      now_wall_ms: this.#wallNow(),
      max_clock_skew_ms,
      guard: this.#guard,
    };
    const result = decodeKeepalive(msg, ctx);
    if (result.ok || result.reason !== 'bad-mac' || next_key === null) return result;
    return decodeKeepalive(msg, { ...ctx, key: next_key.reveal() });
  }

  /**
   * Copies, several paths and the replay window let an older packet arrive after a newer one. It still
   * proves the path alive, but the core gets the newest advert heard so the peer's state never goes backwards.
   */
  #keepNewest(k: Keepalive): void {
    const n = this.#newest;
    if (n !== null && n.boot_id === k.boot_id && k.seq < n.seq) return;
    this.#newest = k;
    this.#newestAdvert = null;
  }

  /**
   * Our own link was down, or we were deaf (the core's `deaf`): the peer may be unreachable at link
   * level from here. The kernel then keeps the peer's neighbour entry INCOMPLETE or FAILED and holds our
   * keepalives until its next probe, up to a second later, while we hear the peer already. So the entry
   * is checked now, and again at the first packet heard on each path (the link may not forward yet when
   * it comes back; a packet heard proves it does). A stuck entry is deleted and the last advert sent
   * again on that path, which resolves it at once.
   */
  reresolve(): void {
    for (const link of this.#links.filter(isUnicast)) {
      this.#recheck.add(link.path.name);
      this.#unstick(link);
    }
  }

  /** A path fell silent (`path-down`): its entry is checked at the first packet heard on it again. */
  reresolveWhenHeard(path: string): void {
    const link = this.#links.find((l) => l.path.name === path);
    if (link !== undefined && isUnicast(link)) this.#recheck.add(path);
  }

  /** Checks one path's entry UNSTICK_DELAY_MS from now (once, however often asked meanwhile). */
  #unstick(link: Link): void {
    const name = link.path.name;
    if (this.#closed || this.#unsticking.has(name)) return;
    const { log } = this.#opts;
    const peer_address = link.path.peer_address;
    const check = (): void => {
      (this.#opts.unstick ?? unstickNeighbour)(peer_address)
        .then(
          (stuck) => {
            if (stuck.length === 0 || this.#closed) return;
            log.info(
              { path: name, peer_address, entries: stuck },
              "the peer's neighbour entry was stuck: deleted, our next keepalive resolves it at once",
            );
            if (this.#lastAdvert !== null) this.#sendOnce(this.#lastAdvert, [link]);
          },
          (err: Error) => log.debug({ path: name, err: err.message }, 'neighbour entry not checked'),
        )
        .finally(() => this.#unsticking.delete(name));
    };
    this.#unsticking.set(name, setTimeout(check, UNSTICK_DELAY_MS));
  }

  /** Sends the advert on every path, `copies` times, `spacing_ms` apart; each copy has its own seq. */
  send(advert: Advert): void {
    if (this.#closed) return;
    this.#lastAdvert = advert;
    // A copy of an older advert must never follow a newer one: it would carry a higher seq.
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
    this.#sendOnce(advert);
    for (let i = 1; i < this.#settings.copies; i++) {
      const timer = setTimeout(() => {
        this.#pending.delete(timer);
        this.#sendOnce(advert);
      }, i * this.#settings.spacing_ms);
      this.#pending.add(timer);
    }
  }

  #sendOnce(advert: Advert, links: readonly Link[] = this.#links): void {
    if (this.#closed) return;
    const body = bodyOf(advert);
    for (const link of links) {
      // Every packet has its own seq, shared across paths: the peer's replay window takes them in any order.
      const packet = this.#sealer.seal(body, this.#wallNow());
      link.sender.send(packet, link.path.port, link.target, (err) => {
        if (err) {
          this.#opts.metrics.sendErrors.inc({ path: link.path.name });
          this.#opts.log.debug({ path: link.path.name, err: err.message }, 'keepalive send failed');
        } else this.#opts.metrics.sent.inc({ path: link.path.name });
        if (err || this.#deaf.has(link.path.name)) this.#checkAddress(link.path);
      });
    }
  }

  /** Is the path's local address still on an interface? Tells the agent when the answer changes. */
  #checkAddress(path: PathConfig): void {
    if (this.#closed) return;
    const deaf = interfaceHolding(path.local_address) === undefined;
    if (deaf === this.#deaf.has(path.name)) return;
    if (deaf) this.#deaf.add(path.name);
    else this.#deaf.delete(path.name);
    if (deaf)
      this.#opts.log.warn(
        { path: path.name, local_address: path.local_address },
        'keepalive path deaf: its local address is gone from every interface (IPv6 flushed by a link down?)',
      );
    else
      this.#opts.log.info(
        { path: path.name, local_address: path.local_address },
        'keepalive path hears again',
      );
    this.#opts.onPathDeaf?.(path.name, deaf);
  }

  /** Resolves once every scheduled copy has gone out (bounded by copies × spacing). */
  async flush(): Promise<void> {
    const wait_ms = this.#settings.copies * this.#settings.spacing_ms + 5;
    if (this.#pending.size > 0) await new Promise((r) => setTimeout(r, wait_ms));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#unsticking.values()) clearTimeout(t);
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
    const sockets = this.#links.flatMap((l) => (l.sender === l.socket ? [l.socket] : [l.socket, l.sender]));
    await Promise.all(sockets.map((socket) => new Promise<void>((r) => socket.close(() => r()))));
    this.#links.length = 0;
  }

  #wallNow(): number {
    return (this.#opts.wallNow ?? Date.now)();
  }
}

function bodyOf(a: Advert): KeepaliveBody {
  return {
    role: a.role,
    state: a.state,
    priority: a.priority,
    flags: {
      relinquish: a.relinquish,
      wan_ok: a.wan_ok,
      ha_port_ok: a.ha_port_ok,
      fit: a.fit,
      takeover_request: a.takeover_request,
      peer_heard: a.peer_heard,
    },
    version: a.version,
    interval_ms: a.interval_ms,
  };
}

function sameAddress(a: string, b: string): boolean {
  try {
    return ipaddr.process(a).toString() === ipaddr.process(b).toString();
  } catch {
    return false;
  }
}

export function advertOf(k: Keepalive): Advert {
  return {
    node_id: k.node_id,
    role: k.role,
    state: k.state,
    priority: k.priority,
    relinquish: k.flags.relinquish,
    wan_ok: k.flags.wan_ok,
    ha_port_ok: k.flags.ha_port_ok,
    fit: k.flags.fit,
    takeover_request: k.flags.takeover_request,
    peer_heard: k.flags.peer_heard,
    interval_ms: k.interval_ms,
    version: k.version,
  };
}

/** Sent to the peer's own address: it has a neighbour entry (a group has none). */
function isUnicast(link: Link): boolean {
  return link.target === link.path.peer_address;
}

interface Group {
  readonly address: string;
  /** What bind and send take: IPv6 with the interface as scope (`ff02::12%eth1`). */
  readonly scoped: string;
  /** The interface argument of addMembership/setMulticastInterface: our address (IPv4), `::%ifname` (IPv6). */
  readonly membership: string;
}

/**
 * The multicast group of a path, ready for the socket calls. IPv4 names the interface by our address;
 * IPv6 by its name only (the kernel refuses a link-scope group without one), which we find from the
 * interface that holds local_address.
 */
function multicastOf(path: PathConfig): Group | null | NodeJS.ErrnoException {
  const group = path.multicast_group;
  if (group === null) return null;
  if (path.family === 'ipv4') return { address: group, scoped: group, membership: path.local_address };
  const ifname = interfaceHolding(path.local_address);
  if (ifname === undefined) {
    const err: NodeJS.ErrnoException = new Error(`no interface holds ${path.local_address}`);
    err.code = 'EADDRNOTAVAIL';
    return err;
  }
  return { address: group, scoped: `${group}%${ifname}`, membership: `::%${ifname}` };
}

function interfaceHolding(address: string): string | undefined {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if ((addrs ?? []).some((a) => sameAddress(a.address, address))) return name;
  }
  return undefined;
}

/**
 * `k` is a later copy of `round` (the sender sends each keepalive `copies` times, a few ms apart): the
 * same boot and body, sent less than half the sender's interval after it. A copy is at most 3 × 5 ms
 * after its first (config.ts spacing), a new keepalive an interval after: half an interval tells them
 * apart at any interval. A changed body (the peer's state moved on) is never a copy.
 */
export function isLaterCopy(k: Keepalive, round: Keepalive): boolean {
  const after_ms = k.sent_at_ms - round.sent_at_ms;
  return (
    k.boot_id === round.boot_id &&
    k.seq > round.seq &&
    after_ms >= 0 &&
    after_ms < round.interval_ms / 2 &&
    k.interval_ms === round.interval_ms &&
    k.role === round.role &&
    k.state === round.state &&
    k.priority === round.priority &&
    sameFlags(k.flags, round.flags) &&
    k.version.major === round.version.major &&
    k.version.minor === round.version.minor &&
    k.version.patch === round.version.patch
  );
}

function sameFlags(a: Keepalive['flags'], b: Keepalive['flags']): boolean {
  return (
    a.relinquish === b.relinquish &&
    a.wan_ok === b.wan_ok &&
    a.ha_port_ok === b.ha_port_ok &&
    a.fit === b.fit &&
    a.takeover_request === b.takeover_request &&
    a.peer_heard === b.peer_heard
  );
}
