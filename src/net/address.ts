// The one strict parser for IP addresses and CIDR blocks, shared by the agent's config checker, the
// actions, pathwatch and the controller. Strict means: only the forms an operator means. No octal or
// hex octets (`010.0.0.1` is refused, not read as 8.0.0.1), no leading zeros in a prefix (`/024`), no
// integer forms, no IPv6 zone ids. It never throws: every refusal says what was expected.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Address {
  readonly family: Family;
  /** Canonical text: dotted decimal, or RFC 5952 for IPv6. */
  readonly text: string;
  /** Network-order bytes (4 or 16). */
  readonly bytes: readonly number[];
}

export interface Cidr {
  readonly address: Address;
  readonly prefix: number;
  /** Canonical `address/prefix`, with the address as written (a host address stays one). */
  readonly text: string;
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly expected: string };

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;
const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

function familyWord(family: Family | undefined): string {
  return family === 4
    ? 'an IPv4 address (a.b.c.d)'
    : family === 6
      ? 'an IPv6 address'
      : 'an IPv4 or IPv6 address';
}

function fail<T>(expected: string, text: unknown): Parsed<T> {
  return { ok: false, expected: `expected ${expected}, got ${JSON.stringify(text)}` };
}

/** Parses one address. `family` restricts it to IPv4 or IPv6. */
export function parseAddress(text: unknown, family?: Family): Parsed<Address> {
  if (typeof text !== 'string') return fail(familyWord(family), text);
  if (family !== 6 && IPV4.test(text)) {
    return { ok: true, value: fromIpaddr(ipaddr.IPv4.parse(text)) };
  }
  // ipaddr accepts zone ids and odd IPv4 forms inside IPv6; the character set keeps to plain IPv6.
  if (family !== 4 && text.includes(':') && IPV6_CHARS.test(text) && ipaddr.IPv6.isValid(text)) {
    return { ok: true, value: fromIpaddr(ipaddr.IPv6.parse(text)) };
  }
  return fail(familyWord(family), text);
}

export interface CidrOptions {
  readonly family?: Family;
  /** The address part must be the network address (route destinations, subnets). */
  readonly network?: boolean;
  /** Inclusive bounds on the prefix length, when a use has them (a subnet between /8 and /29). */
  readonly min_prefix?: number;
  readonly max_prefix?: number;
}

/** Parses `address/prefix`. With `network`, a host address with a prefix is refused with a hint. */
export function parseCidr(text: unknown, options: CidrOptions = {}): Parsed<Cidr> {
  const what = `${options.network ? 'a network' : 'an address'} in CIDR form (e.g. ${
    options.family === 6 ? '2001:db8::/64' : options.network ? '10.0.3.0/24' : '10.0.3.10/24'
  })`;
  if (typeof text !== 'string') return fail(what, text);
  const slash = text.indexOf('/');
  if (slash < 0) return fail(what, text);
  const addr = parseAddress(text.slice(0, slash), options.family);
  const prefixText = text.slice(slash + 1);
  if (!addr.ok || !PREFIX.test(prefixText)) return fail(what, text);
  const prefix = Number(prefixText);
  const bits = addr.value.family === 4 ? 32 : 128;
  const min = options.min_prefix ?? 0;
  const max = Math.min(options.max_prefix ?? bits, bits);
  if (prefix < min || prefix > max) {
    return fail(`a prefix length between /${min} and /${max}`, text);
  }
  const cidr: Cidr = { address: addr.value, prefix, text: `${addr.value.text}/${prefix}` };
  if (options.network) {
    const net = networkOf(cidr);
    if (net.text !== addr.value.text) {
      return fail(`a network address (did you mean ${net.text}/${prefix}?)`, text);
    }
  }
  return { ok: true, value: cidr };
}

/** The network address of a block: its address with the host bits cleared. */
export function networkOf(cidr: Cidr): Address {
  return withHostBits(cidr, 0);
}

/** The last address of a block (the IPv4 broadcast address). */
export function lastOf(cidr: Cidr): Address {
  return withHostBits(cidr, 255);
}

/** The address `n` above the network address (`n` ≥ 0, within the block's first 2^31). */
export function nthOf(cidr: Cidr, n: number): Address {
  const bytes = [...networkOf(cidr).bytes];
  let carry = n;
  for (let i = bytes.length - 1; i >= 0 && carry > 0; i--) {
    const sum = bytes[i]! + (carry % 256);
    carry = Math.floor(carry / 256) + (sum > 255 ? 1 : 0);
    bytes[i] = sum % 256;
  }
  return fromBytes(bytes);
}

export function contains(cidr: Cidr, address: Address): boolean {
  if (cidr.address.family !== address.family) return false;
  return prefixMatches(cidr.address.bytes, address.bytes, cidr.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.address.family !== b.address.family) return false;
  return prefixMatches(a.address.bytes, b.address.bytes, Math.min(a.prefix, b.prefix));
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.family === b.family && a.text === b.text;
}

function prefixMatches(a: readonly number[], b: readonly number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const i = bit / 8;
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

function withHostBits(cidr: Cidr, fill: 0 | 255): Address {
  const bytes = cidr.address.bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, cidr.prefix - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    return (byte & mask) | (fill & ~mask & 0xff);
  });
  return fromBytes(bytes);
}

function fromBytes(bytes: number[]): Address {
  return fromIpaddr(ipaddr.fromByteArray(bytes));
}

function fromIpaddr(addr: ipaddr.IPv4 | ipaddr.IPv6): Address {
  const bytes = addr.toByteArray();
  return addr.kind() === 'ipv4'
    ? { family: 4, text: addr.toString(), bytes }
    : { family: 6, text: (addr as ipaddr.IPv6).toRFC5952String(), bytes };
}

const LOOPBACK_BLOCKS: readonly Cidr[] = ['127.0.0.0/8', '::1/128'].map((text) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.expected);
  return parsed.value;
});

/**
 * Whether a host (an address, `[v6]` as in URLs, or the name `localhost`) is this machine's loopback:
 * where cleartext HTTP cannot be read off a network.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost') return true;
  const parsed = parseAddress(bare);
  return parsed.ok && LOOPBACK_BLOCKS.some((block) => contains(block, parsed.value));
}
