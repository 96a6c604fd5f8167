// What a VIP spec may ask of the runtime: `agent --check` (validate.ts, with the rest of the config)
// and the action itself at construction apply the same rules, so a config that passes the check is one
// the driver runs.
import ipaddr from 'ipaddr.js';
import { type Family, parseCidr } from '../../net/address.js';
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

/** `a.b.c.d/len` or `ipv6/len`: the VIP with its prefix length, a unicast host address. */
export function parseVipAddress(text: unknown): VipAddress | SpecIssue {
  const parsed = parseCidr(text, { min_prefix: 1 });
  if (!parsed.ok)
    return {
      path: 'address',
      message: `${parsed.expected} (the VIP with its prefix length, e.g. 192.0.2.10/24 or 2001:db8::10/64)`,
    };
  const { address: addr, prefix } = parsed.value;
  const range = ipaddr.parse(addr.text).range();
  if (NOT_A_HOST.has(range))
    return {
      path: 'address',
      message: `expected a unicast host address, got ${JSON.stringify(text)} (${range})`,
    };
  return { family: addr.family, address: addr.text, prefix };
}

/** What an IPv6 VIP cannot do: the options that only ARP (IPv4) has. */
export function ipv6Issues(spec: Pick<VipSpec, 'observe_duplicates' | 'garp'>): SpecIssue[] {
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

/** Everything in one schema-valid VIP spec that the Linux runtime cannot do (no context needed). */
export function vipRuntimeIssues(spec: VipSpec): SpecIssue[] {
  const parsed = parseVipAddress(spec.address);
  if ('path' in parsed) return [parsed];
  return parsed.family === 6 ? ipv6Issues(spec) : [];
}
