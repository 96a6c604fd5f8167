// Network range maths for a site: subnets, the computed gateway, reserved addresses and overlap.
import ipaddr from 'ipaddr.js';
import { ControllerError } from '../errors.js';
import type { SiteKind } from '../store/tables.js';

export interface Subnet {
  readonly text: string;
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
  readonly size: number;
}

function toNumber(addr: ipaddr.IPv4): number {
  const [a, b, c, d] = addr.octets;
  return ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0;
}

function toText(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseIp(text: string, path: string): number {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
    throw new ControllerError('invalid-request', `"${text}" is not an IPv4 address (a.b.c.d)`, path);
  }
  return toNumber(ipaddr.IPv4.parse(text));
}

export function parseSubnet(text: string, path: string): Subnet {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new ControllerError(
      'invalid-subnet',
      `"${text}" is not a subnet in CIDR form (e.g. 10.0.3.0/24)`,
      path,
    );
  }
  const [addr, prefix] = parsed;
  if (addr.kind() !== 'ipv4') {
    throw new ControllerError('invalid-subnet', `"${text}" is IPv6; ranges are IPv4 subnets`, path);
  }
  // A /29 is the smallest subnet AWS and Azure accept; smaller ones leave no host after the reserved five.
  if (prefix < 8 || prefix > 29) {
    throw new ControllerError(
      'invalid-subnet',
      `"${text}": the prefix length must be between /8 and /29`,
      path,
    );
  }
  const size = 2 ** (32 - prefix);
  const value = toNumber(addr as ipaddr.IPv4);
  const network = value - (value % size);
  if (network !== value) {
    throw new ControllerError(
      'invalid-subnet',
      `"${text}" is not a network address; did you mean ${toText(network)}/${prefix}?`,
      path,
    );
  }
  return { text, network, prefix, size };
}

/** The gateway of a range is always the first host address (the cloud's VPC/VNet router). */
export function gatewayOf(subnet: Subnet): string {
  return toText(subnet.network + 1);
}

export function contains(subnet: Subnet, ip: number): boolean {
  return ip >= subnet.network && ip < subnet.network + subnet.size;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.network < b.network + b.size && b.network < a.network + a.size;
}

/**
 * A node's local IP or a floating IP must lie in the subnet and not be reserved: in AWS and Azure the
 * first four and the last address; on a physical LAN the network, the gateway and the broadcast address.
 */
export function checkHostIp(
  ip_text: string,
  subnet: Subnet,
  kind: SiteKind,
  path: string,
  outside: 'ip-outside-subnet' | 'floating-ip-outside-range' = 'ip-outside-subnet',
): void {
  const ip = parseIp(ip_text, path);
  if (!contains(subnet, ip)) {
    throw new ControllerError(
      outside,
      `${ip_text} is outside ${subnet.text}; pick an address inside it`,
      path,
    );
  }
  const offset = ip - subnet.network;
  const last = subnet.size - 1;
  const reserved = kind === 'physical' ? offset <= 1 || offset === last : offset <= 3 || offset === last;
  if (reserved) {
    const which =
      kind === 'physical'
        ? 'the network, gateway and broadcast addresses'
        : 'the first four and the last address (reserved by the cloud)';
    throw new ControllerError(
      'ip-reserved',
      `${ip_text} is reserved in ${subnet.text}: ${which} cannot be used; pick another address`,
      path,
    );
  }
}

export interface NamedSubnet {
  readonly name: string;
  readonly subnet: Subnet;
  /** Native ranges of the two nodes may be the very same LAN; any other overlap is refused. */
  readonly native: boolean;
}

export function checkNoOverlap(ranges: readonly NamedSubnet[], path: string): void {
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      const sameLan =
        a.native && b.native && a.subnet.network === b.subnet.network && a.subnet.size === b.subnet.size;
      if (!sameLan && overlaps(a.subnet, b.subnet)) {
        throw new ControllerError(
          'ranges-overlap',
          `range ${a.name} (${a.subnet.text}) overlaps ${b.name} (${b.subnet.text}); ranges of a site must not overlap`,
          path,
        );
      }
    }
  }
}
