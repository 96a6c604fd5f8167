// The Linux actions' own value checks, run when the config loads (after their schema accepted the shape):
// a VIP is an IPv4 address with a prefix, not one of the node's own addresses (the start-up clean-up
// would delete it) and not configured twice; a route has a real destination and a next hop or device.
import { type Address, parseAddress, parseCidr, sameAddress } from '../../net/address.js';

export interface LinuxIssue {
  readonly path: string;
  readonly message: string;
}

/** What a check of one entry may need to know of the rest of the config. */
export interface LinuxCheckContext {
  /** The node's own addresses (its keepalive paths' local addresses). */
  readonly local_addresses: readonly string[];
  /** Every actions[] entry, this one included, in order. */
  readonly siblings: readonly { readonly kind: string; readonly [key: string]: unknown }[];
}

export function linuxActionIssues(
  spec: { readonly kind: string; readonly [key: string]: unknown },
  ctx: LinuxCheckContext,
): LinuxIssue[] {
  if (spec.kind === 'vip') return vipIssues(spec.address, spec, ctx);
  if (spec.kind === 'route') return routeIssues(spec);
  return [];
}

function vipIssues(address: unknown, spec: object, ctx: LinuxCheckContext): LinuxIssue[] {
  const parsed = parseCidr(address, { family: 4, min_prefix: 1, max_prefix: 32 });
  if (!parsed.ok)
    return [{ path: 'address', message: `${parsed.expected} (the VIP with its prefix length)` }];
  const vip = parsed.value.address;
  const out: LinuxIssue[] = [];
  if (ctx.local_addresses.some((a) => same(a, vip)))
    out.push({
      path: 'address',
      message: `expected an address that is not this node's own (${vip.text} is a paths[].local_address): the VIP is removed whenever the node is not active`,
    });
  const first = ctx.siblings.findIndex((s) => s.kind === 'vip' && sameVip(s.address, vip));
  if (first >= 0 && ctx.siblings[first] !== spec)
    out.push({
      path: 'address',
      message: `expected each VIP once, ${vip.text} is already actions[${first}]`,
    });
  return out;
}

function routeIssues(spec: { readonly [key: string]: unknown }): LinuxIssue[] {
  const out: LinuxIssue[] = [];
  if (spec.destination !== 'default') {
    const d = parseCidr(spec.destination, { network: true });
    if (!d.ok) out.push({ path: 'destination', message: `${d.expected}, or "default"` });
  }
  if (spec.via !== undefined) {
    const via = parseAddress(spec.via);
    if (!via.ok) out.push({ path: 'via', message: via.expected });
  }
  if (spec.via === undefined && spec.dev === undefined)
    out.push({ path: 'via', message: 'expected a next hop (via) or an interface (dev), got neither' });
  return out;
}

function same(text: string, address: Address): boolean {
  const a = parseAddress(text);
  return a.ok && sameAddress(a.value, address);
}

function sameVip(text: unknown, address: Address): boolean {
  const c = parseCidr(text, { family: 4 });
  return c.ok && sameAddress(c.value.address, address);
}
