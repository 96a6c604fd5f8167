// The link-level frames that announce a claimed VIP, built byte by byte so that a long-lived raw
// socket (announcer.ts) only has to write them. Pure functions: no I/O, no clock.
//
// IPv4: a gratuitous ARP (RFC 826 layout, RFC 5227 §3 "ARP Announcement"), as iputils `arping`
// sends it: to the Ethernet broadcast, sender and target protocol address both the VIP. A request
// (`arping -U`) carries the broadcast as target hardware address, a reply (`arping -A`) our own MAC.
// IPv6: an unsolicited neighbour advertisement (RFC 4861 §4.4, §7.2.6) to all nodes (ff02::1,
// 33:33:00:00:00:01), hop limit 255, from the VIP, override set, solicited clear, target the VIP,
// with our MAC in a target link-layer address option.
//
// Every frame is padded to FRAME_LENGTH: the announcer's pipe carries frames back to back and its
// reader takes exactly FRAME_LENGTH bytes at a time, so one fixed length is the framing. Trailing
// Ethernet padding is ignored by ARP (its lengths are in the header) and by IPv6 (payload length).
import { parseAddress } from '../../net/address.js';

/** 14 (Ethernet) + 40 (IPv6) + 24 (NA) + 8 (target link-layer option): the longest frame we send. */
export const FRAME_LENGTH = 86;

const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const ICMPV6 = 58;
const NEIGHBOUR_ADVERTISEMENT = 136;
const OPTION_TARGET_LINK_LAYER = 2;
const NA_OVERRIDE = 0x20;
const BROADCAST_MAC: readonly number[] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const ALL_NODES_MAC: readonly number[] = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01];
const ALL_NODES: readonly number[] = [0xff, 0x02, ...new Array<number>(13).fill(0), 0x01];

export type ArpOperation = 'request' | 'reply';

export type FrameIssue = { readonly code: 'FRAME_BAD_MAC' | 'FRAME_BAD_ADDRESS'; readonly message: string };

/** `aa:bb:cc:dd:ee:ff` (as /sys/class/net/<dev>/address and `ip -j link` print it) → 6 bytes. */
export function parseMac(text: string): readonly number[] | FrameIssue {
  const m = /^([0-9a-fA-F]{2})(:[0-9a-fA-F]{2}){5}$/.exec(text.trim());
  if (m === null)
    return { code: 'FRAME_BAD_MAC', message: `expected a MAC address aa:bb:cc:dd:ee:ff, got "${text}"` };
  return text
    .trim()
    .split(':')
    .map((h) => Number.parseInt(h, 16));
}

function addressBytes(text: string, family: 4 | 6): readonly number[] | FrameIssue {
  const parsed = parseAddress(text, family);
  return parsed.ok ? parsed.value.bytes : { code: 'FRAME_BAD_ADDRESS', message: parsed.expected };
}

function padded(bytes: readonly number[]): Buffer {
  const frame = Buffer.alloc(FRAME_LENGTH);
  Buffer.from(bytes).copy(frame);
  return frame;
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/** A gratuitous ARP for `vip` from `mac`, padded to FRAME_LENGTH. */
export function gratuitousArp(mac: readonly number[], vip: string, op: ArpOperation): Buffer | FrameIssue {
  const ip = addressBytes(vip, 4);
  if ('code' in ip) return ip;
  const targetMac = op === 'request' ? BROADCAST_MAC : mac;
  return padded([
    ...BROADCAST_MAC,
    ...mac,
    ...u16(ETH_ARP),
    ...u16(1), // hardware: Ethernet
    ...u16(0x0800), // protocol: IPv4
    6, // hardware address length
    4, // protocol address length
    ...u16(op === 'request' ? 1 : 2),
    ...mac,
    ...ip,
    ...targetMac,
    ...ip,
  ]);
}

/** An unsolicited neighbour advertisement for `vip` from `mac`, padded to FRAME_LENGTH. */
export function unsolicitedNa(mac: readonly number[], vip: string): Buffer | FrameIssue {
  const src = addressBytes(vip, 6);
  if ('code' in src) return src;
  const icmp = [
    NEIGHBOUR_ADVERTISEMENT,
    0, // code
    0,
    0, // checksum, filled below
    NA_OVERRIDE, // R=0 (not a router), S=0 (unsolicited), O=1
    0,
    0,
    0,
    ...src, // target: the VIP
    OPTION_TARGET_LINK_LAYER,
    1, // option length in units of 8 bytes
    ...mac,
  ];
  const sum = icmpv6Checksum(src, ALL_NODES, icmp);
  icmp[2] = sum >> 8;
  icmp[3] = sum & 0xff;
  return padded([
    ...ALL_NODES_MAC,
    ...mac,
    ...u16(ETH_IPV6),
    0x60,
    0,
    0,
    0, // version 6, traffic class 0, flow label 0
    ...u16(icmp.length),
    ICMPV6,
    255, // hop limit: receivers drop neighbour discovery with anything else (RFC 4861 §7.1.2)
    ...src,
    ...ALL_NODES,
    ...icmp,
  ]);
}

/** RFC 4443 §2.3: the one's complement sum over the IPv6 pseudo-header (RFC 8200 §8.1) and the message. */
export function icmpv6Checksum(
  src: readonly number[],
  dst: readonly number[],
  message: readonly number[],
): number {
  const pseudo = [...src, ...dst, ...u16(message.length >> 16), ...u16(message.length & 0xffff)];
  const all = [...pseudo, 0, 0, 0, ICMPV6, ...message];
  if (all.length % 2 === 1) all.push(0);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += ((all[i] ?? 0) << 8) | (all[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
