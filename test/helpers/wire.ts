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
  const socat = ['socat', '-d', '-d', '-u', '-x', `INTERFACE:${ifname}`, 'OPEN:/dev/null'];
  const spawned: Spawned = spawnInNs(ns, options.realtime === true ? ['chrt', '-r', '10', ...socat] : socat);
  let text = '';
  spawned.child.stderr?.setEncoding('utf8');
  spawned.child.stderr?.on('data', (s: string) => {
    text += s;
  });
  const deadline = Date.now() + 10_000;
  while (!text.includes('starting data transfer loop')) {
    if (Date.now() > deadline) throw new Error(`socat capture did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    announcements: () => parseDump(text).flatMap((f) => classify(f, target)),
    stop: () => spawned.kill('SIGKILL'),
  };
}

interface Frame {
  readonly at_ms: number;
  readonly bytes: Buffer;
}

const HEADER = /^> (\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6,9}) +length=(\d+)/;

/** socat -x prints `> date time.frac  length=N …` then the bytes in hex on the next line(s). */
function parseDump(text: string): Frame[] {
  const frames: Frame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i] ?? '');
    if (m === null) continue;
    const [, y, mo, d, h, mi, s, frac, len] = m.map(Number) as number[];
    const hex = (lines[i + 1] ?? '').trim().split(/\s+/).join('');
    const bytes = Buffer.from(hex, 'hex');
    if (bytes.length < (len ?? 0)) continue; // the line is still being written
    // socat 1.7.4 prints microseconds zero-padded to nine digits; a later one may print nanoseconds.
    const frac_ms = (frac ?? 0) >= 1_000_000 ? (frac ?? 0) / 1e6 : (frac ?? 0) / 1e3;
    const at = new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, s).getTime();
    frames.push({ at_ms: at + frac_ms, bytes });
  }
  return frames;
}

function macAt(b: Buffer, at: number): string {
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
