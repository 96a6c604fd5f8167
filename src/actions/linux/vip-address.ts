// What a VIP spec may ask of the runtime, checked once: by `agent --check` (the registry's validate)
// and by the action itself at construction, so a config that passes the check is one the driver runs.
import ipaddr from 'ipaddr.js';
import { type Family, parseAddress, parseCidr } from '../../net/address.js';
import type { SpecIssue } from '../kit/spec-issues.js';
import type { VipSpec } from './spec.js';

export interface VipAddress {
  readonly family: Family;
  /** Canonical text (dotted decimal, or RFC 5952 as `ip` prints it). */
  readonly address: string;
  readonly prefix: number;
}

/** Address ranges no LAN neighbour can be pointed at with ARP or an NA. */
const NOT_A_HOST = new Set(['unspecified', 'multicast', 'loopback', 'broadcast']);

/** `a.b.c.d[/len]` or `ipv6[/len]`; without a length, a host route (/32, /128). */
export function parseVipAddress(text: string): VipAddress | SpecIssue {
  const parsed = text.includes('/') ? parseCidr(text, { min_prefix: 1 }) : parseAddress(text);
  if (!parsed.ok)
    return { path: 'address', message: `${parsed.expected} (a VIP like 192.0.2.10/24 or 2001:db8::10/64)` };
  const value = parsed.value;
  const addr = 'prefix' in value ? value.address : value;
  const prefix = 'prefix' in value ? value.prefix : addr.family === 4 ? 32 : 128;
  const range = ipaddr.parse(addr.text).range();
  if (NOT_A_HOST.has(range))
    return {
      path: 'address',
      message: `expected a unicast host address, got ${JSON.stringify(text)} (${range})`,
    };
  return { family: addr.family, address: addr.text, prefix };
}

/** Everything in a schema-valid VIP spec that the Linux runtime cannot do, with the key to change. */
export function vipIssues(spec: VipSpec): SpecIssue[] {
  const parsed = parseVipAddress(spec.address);
  if ('path' in parsed) return [parsed];
  if (parsed.family === 4) return [];
  const issues: SpecIssue[] = [];
  if (spec.observe_duplicates === true)
    issues.push({
      path: 'observe_duplicates',
      message: 'duplicate detection asks with arping, which is IPv4 only: remove it for an IPv6 VIP',
    });
  if (spec.garp?.mode !== undefined)
    issues.push({
      path: 'garp.mode',
      message:
        'an IPv6 VIP is announced with unsolicited neighbour advertisements, which have one form: remove garp.mode (count and spacing_ms apply)',
    });
  return issues;
}
