// IPv4 CIDR arithmetic for subnets, routes and reserved addresses (ipaddr.js does the parsing).
import ipaddr from 'ipaddr.js';

export interface Cidr {
  text: string;
  base: number;
  bits: number;
}

function toInt(ip: string): number {
  const bytes = ipaddr.IPv4.parse(ip).octets;
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set (clouds refuse those). */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, bitsText] = text.split('/');
  if (ip === undefined || bitsText === undefined || !/^\d{1,2}$/.test(bitsText) || !isIpv4(ip))
    return undefined;
  const bits = Number(bitsText);
  if (bits > 32) return undefined;
  const base = toInt(ip);
  if ((base & mask(bits)) >>> 0 !== base) return undefined;
  return { text, base, bits };
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function contains(cidr: Cidr, ip: string): boolean {
  return (toInt(ip) & mask(cidr.bits)) >>> 0 === cidr.base;
}

export function lastAddress(cidr: Cidr): number {
  return (cidr.base | (~mask(cidr.bits) >>> 0)) >>> 0;
}

/** The first four addresses and the last one of a cloud subnet are reserved (network, router, DNS, future, broadcast). */
export function isReserved(cidr: Cidr, ip: string): boolean {
  const n = toInt(ip);
  return n - cidr.base < 4 || n === lastAddress(cidr);
}

/** The lowest usable address of the subnet not in `used`, or undefined when full. */
export function firstFree(cidr: Cidr, used: ReadonlySet<string>): string | undefined {
  const last = lastAddress(cidr);
  for (let n = cidr.base + 4; n < last; n++) {
    const ip = intToIp(n);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
