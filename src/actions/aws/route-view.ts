// Reading a DescribeRouteTables answer: where each configured route points, as self / peer / other / none.
// Pure: the driver and the arbiter both decide from this.
import type { Route, RouteTable } from '@aws-sdk/client-ec2';
import ipaddr from 'ipaddr.js';
import type { Observation } from '../types.js';

export type RouteTarget = 'self' | 'peer' | 'other' | 'none';

export interface RouteReading {
  readonly table_id: string;
  readonly destination: string;
  readonly target: RouteTarget;
  /** What the route points at: `eni-…`, `igw-…`, `blackhole eni-…`, or `missing`. */
  readonly detail: string;
}

export interface Destination {
  readonly cidr: string;
  readonly family: 'ipv4' | 'ipv6';
}

/** Normalised so that `10.0.0.1/32` in the config matches EC2's spelling of the same prefix. */
export function parseDestination(text: string): Destination | null {
  try {
    const [addr, bits] = ipaddr.parseCIDR(text);
    const kind = addr.kind();
    const network = kind === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : networkV6(text);
    return { cidr: `${network.toString()}/${bits}`, family: kind };
  } catch {
    return null;
  }
}

function networkV6(text: string): ipaddr.IPv6 {
  return ipaddr.IPv6.networkAddressFromCIDR(text);
}

function destinationOf(r: Route): string | undefined {
  const text = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
  return text === undefined ? undefined : (parseDestination(text)?.cidr ?? text);
}

function targetOf(r: Route): string {
  return (
    r.NetworkInterfaceId ??
    r.GatewayId ??
    r.NatGatewayId ??
    r.TransitGatewayId ??
    r.VpcPeeringConnectionId ??
    r.InstanceId ??
    'unknown'
  );
}

/** Static entries only: a propagated (vgw) route for the same CIDR coexists and is overridden by ours. */
function staticRoute(table: RouteTable | undefined, cidr: string): Route | undefined {
  return table?.Routes?.find((r) => destinationOf(r) === cidr && r.Origin !== 'EnableVgwRoutePropagation');
}

export function readRoute(
  table: RouteTable | undefined,
  table_id: string,
  dest: Destination,
  self_eni: string,
  peer_eni: string | undefined,
): RouteReading {
  const route = staticRoute(table, dest.cidr);
  const base = { table_id, destination: dest.cidr };
  if (!route) return { ...base, target: 'none', detail: 'missing' };
  const target = targetOf(route);
  // Key on the ENI, never the instance id EC2 may also report (CLOUD.md §1.2).
  if (route.State === 'blackhole') return { ...base, target: 'other', detail: `blackhole ${target}` };
  if (route.NetworkInterfaceId === self_eni) return { ...base, target: 'self', detail: target };
  if (peer_eni !== undefined && route.NetworkInterfaceId === peer_eni)
    return { ...base, target: 'peer', detail: target };
  return { ...base, target: 'other', detail: target };
}

export function readAll(
  tables: readonly RouteTable[],
  table_ids: readonly string[],
  dests: readonly Destination[],
  self_eni: string,
  peer_eni: string | undefined,
): RouteReading[] {
  const byId = new Map(tables.map((t) => [t.RouteTableId, t]));
  return table_ids.flatMap((id) => dests.map((d) => readRoute(byId.get(id), id, d, self_eni, peer_eni)));
}

// The peer comes first: overwriting it would be fighting; then what needs repair, then what is fine.
const RANK: Record<RouteTarget, number> = { peer: 0, other: 1, none: 2, self: 3 };

/** The most telling reading of all routes, as the action contract's one Observation. */
export function summarise(readings: readonly RouteReading[]): Observation {
  const worst = [...readings].sort((a, b) => RANK[a.target] - RANK[b.target])[0];
  if (!worst) return { target: 'none' };
  switch (worst.target) {
    case 'self':
      return { target: 'self' };
    case 'peer':
      return { target: 'peer' };
    case 'none':
      return { target: 'none' };
    case 'other':
      return { target: 'other', detail: describeOthers(readings) };
  }
}

function describeOthers(readings: readonly RouteReading[]): string {
  return readings
    .filter((r) => r.target !== 'self')
    .map((r) => `${r.table_id} ${r.destination} → ${r.detail}`)
    .join('; ');
}
