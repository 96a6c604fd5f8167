// Network range maths for a site: subnets, the computed gateway, reserved addresses and overlap.
import { parseAddress, parseCidr } from '../../net/address.js';
import { ControllerError } from '../errors.js';
import type { SiteKind } from '../store/tables.js';

export interface Subnet {
  readonly text: string;
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefix: number;
  readonly size: number;
}

function toNumber(bytes: readonly number[]): number {
  const [a, b, c, d] = bytes;
  return ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0;
}

function toText(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 address in dotted decimal (the one strict parser: no octal, hex or integer forms). */
export function parseIp(text: string, path: string): number {
  const parsed = parseAddress(text, 4);
  if (!parsed.ok) throw new ControllerError('invalid-request', parsed.expected, path);
  return toNumber(parsed.value.bytes);
}

/**
 * A subnet: an IPv4 network address in CIDR form, /8 to /29 (a /29 is the smallest subnet AWS and
 * Azure accept; smaller ones leave no host after the reserved five). Its text is canonical.
 */
export function parseSubnet(text: string, path: string): Subnet {
  const parsed = parseCidr(text, { family: 4, network: true, min_prefix: 8, max_prefix: 29 });
  if (!parsed.ok) throw new ControllerError('invalid-subnet', `subnet: ${parsed.expected}`, path);
  const { address, prefix } = parsed.value;
  return { text: parsed.value.text, network: toNumber(address.bytes), prefix, size: 2 ** (32 - prefix) };
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
