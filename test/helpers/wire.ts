// What actually left on a LAN: a `socat -x` reader on a namespace's interface (a PF_PACKET socket, one
// read per frame) prints every frame it sees with a timestamp; this picks out the announcements of a
// VIP (gratuitous ARP from it, or a neighbour advertisement for it). Tests use it to assert what was
// on the wire; bench:failover to time the claim to the first announcement on the wire.

import { type Spawned, spawnInNs } from '../../src/lab/netns.js';
import { parseAddress } from '../../src/net/address.js';

export interface WireAnnouncement {
  /** Host clock, ms since the epoch, as socat stamped the read. */
  readonly at_ms: number;
  readonly kind: 'arp-request' | 'arp-reply' | 'na';
  /** The sender's MAC as aa:bb:cc:dd:ee:ff (ARP sender / NA target link-layer option). */
  readonly mac: string;
}

export interface WireCapture {
  /** Announcements of the VIP seen so far, in order. */
  announcements(): WireAnnouncement[];
  stop(): void;
}

/**
 * Starts reading `ifname` in `ns`; resolves once socat has its socket open. `realtime`: the reader runs
 * at SCHED_RR (as the agent does), so that on a loaded host its own wake-up delay is not stamped on
 * the frames it reads (bench:failover).
 */
export async function captureAnnouncements(
  ns: string,
  ifname: string,
  vip: string,
  options: { readonly realtime?: boolean } = {},
): Promise<WireCapture> {
  const parsed = parseAddress(vip);
  if (!parsed.ok) throw new Error(`not an address: ${vip}`);
  const target = Buffer.from(parsed.value.bytes);
  const frames: Frame[] = [];
  const reader = await watchFrames(ns, ifname, (f) => frames.push(f), options);
  return {
    announcements: () => frames.flatMap((f) => classify(f, target)),
    stop: () => reader.stop(),
  };
}

/**
 * Every frame `ifname` in `ns` reads, handed to `onFrame` as soon as socat has printed it (stamped by
 * socat when it read it); resolves once socat has its socket open.
 */
export async function watchFrames(
  ns: string,
  ifname: string,
  onFrame: (frame: Frame) => void,
  options: { readonly realtime?: boolean } = {},
): Promise<{ stop(): void }> {
  const socat = ['socat', '-d', '-d', '-u', '-x', `INTERFACE:${ifname}`, 'OPEN:/dev/null'];
  const spawned: Spawned = spawnInNs(ns, options.realtime === true ? ['chrt', '-r', '10', ...socat] : socat);
  let started = '';
  let partial = '';
  let header: RegExpExecArray | null = null;
  spawned.child.stderr?.setEncoding('utf8');
  spawned.child.stderr?.on('data', (s: string) => {
    if (!started.includes('starting data transfer loop')) started += s;
    const lines = (partial + s).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // socat -x prints `> date time.frac  length=N …`, then the frame's bytes in hex on the next line.
      const h = HEADER.exec(line);
      if (h !== null) header = h;
      else if (header !== null) {
        const frame = frameOf(header, line);
        header = null;
        if (frame !== null) onFrame(frame);
      }
    }
  });
  const deadline = Date.now() + 10_000;
  while (!started.includes('starting data transfer loop')) {
    if (Date.now() > deadline) throw new Error(`socat capture did not start: ${started}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { stop: () => spawned.kill('SIGKILL') };
}

export interface Frame {
  readonly at_ms: number;
  readonly bytes: Buffer;
}

const HEADER = /^> (\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6,9}) +length=(\d+)/;

function frameOf(header: RegExpExecArray, hexLine: string): Frame | null {
  const [, y, mo, d, h, mi, sec, frac, len] = header.map(Number) as number[];
  const bytes = Buffer.from(hexLine.trim().split(/\s+/).join(''), 'hex');
  if (bytes.length < (len ?? 0)) return null;
  // socat 1.7.4 prints microseconds zero-padded to nine digits; a later one may print nanoseconds.
  const frac_ms = (frac ?? 0) >= 1_000_000 ? (frac ?? 0) / 1e6 : (frac ?? 0) / 1e3;
  const at = new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, sec).getTime();
  return { at_ms: at + frac_ms, bytes };
}

/** The 6 bytes at `at` as aa:bb:cc:dd:ee:ff. */
export function macAt(b: Buffer, at: number): string {
  return [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function classify(f: Frame, vip: Buffer): WireAnnouncement[] {
  const b = f.bytes;
  const type = b.readUInt16BE(12);
  if (type === 0x0806 && b.length >= 42 && vip.length === 4) {
    // Gratuitous: sender and target protocol address are both the VIP.
    if (!b.subarray(28, 32).equals(vip) || !b.subarray(38, 42).equals(vip)) return [];
    const kind = b.readUInt16BE(20) === 1 ? 'arp-request' : 'arp-reply';
    return [{ at_ms: f.at_ms, kind, mac: macAt(b, 22) }];
  }
  if (type === 0x86dd && b.length >= 86 && vip.length === 16) {
    if (b[20] !== 58 || b[54] !== 136 || !b.subarray(62, 78).equals(vip)) return [];
    return [{ at_ms: f.at_ms, kind: 'na', mac: macAt(b, 80) }];
  }
  return [];
}
