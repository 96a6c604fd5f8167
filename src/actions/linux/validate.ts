// The Linux actions' own value checks, run when the config loads (after their schema accepted the shape):
// a VIP is a unicast IPv4 or IPv6 address with a prefix (IPv6 without the ARP-only options), not one
// of the node's own addresses (the start-up clean-up would delete it) and not configured twice; a route has a real destination and a next hop or device.
import { type Address, parseAddress, parseCidr, sameAddress } from '../../net/address.js';
import { LinkAnnouncer } from './announcer.js';
import { ipv6Issues, parseVipAddress } from './vip-address.js';

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

function vipIssues(
  address: unknown,
  spec: { readonly [key: string]: unknown },
  ctx: LinuxCheckContext,
): LinuxIssue[] {
  const parsed = parseVipAddress(address);
  if ('path' in parsed) return [parsed];
  const canonical = parseAddress(parsed.address);
  if (!canonical.ok) return [{ path: 'address', message: canonical.expected }];
  const vip = canonical.value;
  const out: LinuxIssue[] = parsed.family === 6 ? ipv6Issues(spec as Parameters<typeof ipv6Issues>[0]) : [];
  const refusal = typeof spec.interface === 'string' ? LinkAnnouncer.refusal(spec.interface) : null;
  if (refusal !== null) out.push({ path: 'interface', message: `expected an interface name ${refusal}` });
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
  if ((spec.destination === undefined) === (spec.destinations === undefined))
    out.push({
      path: 'destination',
      message:
        'expected exactly one of destination (one route) and destinations (a list), got both or neither',
    });
  if (spec.destination !== undefined && spec.destination !== 'default') {
    const d = parseCidr(spec.destination, { network: true });
    if (!d.ok) out.push({ path: 'destination', message: `${d.expected}, or "default"` });
  }
  if (Array.isArray(spec.destinations)) out.push(...destinationsIssues(spec.destinations));
  if (spec.via !== undefined) {
    const via = parseAddress(spec.via);
    if (!via.ok) out.push({ path: 'via', message: via.expected });
  }
  if (spec.via === undefined && spec.dev === undefined)
    out.push({ path: 'via', message: 'expected a next hop (via) or an interface (dev), got neither' });
  return out;
}

/** Each a network in CIDR form, listed once (two spellings of one network count as one). */
function destinationsIssues(list: readonly unknown[]): LinuxIssue[] {
  const out: LinuxIssue[] = [];
  const seen = new Map<string, number>();
  list.forEach((d, i) => {
    const parsed = parseCidr(d, { network: true });
    if (!parsed.ok) {
      out.push({ path: `destinations/${i}`, message: parsed.expected });
      return;
    }
    const key = parsed.value.text;
    const first = seen.get(key);
    if (first !== undefined)
      out.push({
        path: `destinations/${i}`,
        message: `expected each network once, ${d} is already destinations/${first}`,
      });
    else seen.set(key, i);
  });
  return out;
}

function same(text: string, address: Address): boolean {
  const a = parseAddress(text);
  return a.ok && sameAddress(a.value, address);
}

function sameVip(text: unknown, address: Address): boolean {
  const c = parseCidr(text);
  return c.ok && sameAddress(c.value.address, address);
}
