// Route tables: static routes over propagated ones, blackholes when the target is gone, effective-route lookup.
import { type Cidr, contains, parseCidr } from '../cidr.js';
import { SimError } from '../errors.js';
import { type AwsState, invalid, type Route, type RouteTable, type TargetKind } from './model.js';
import { anyOf, type FilterFn, field } from './query.js';

export interface RouteTarget {
  kind: TargetKind;
  id: string;
}

export type RouteState = 'active' | 'blackhole';

export function routeState(state: AwsState, route: Route): RouteState {
  const d = state.data;
  switch (route.target_kind) {
    case 'network-interface': {
      const eni = d.enis[route.target_id];
      const inst = eni?.attachment ? d.instances[eni.attachment.instance_id] : undefined;
      return inst?.state === 'running' ? 'active' : 'blackhole';
    }
    case 'instance':
      return d.instances[route.target_id]?.state === 'running' ? 'active' : 'blackhole';
    default:
      return route.target_id === 'local' || d.gateways.includes(route.target_id) ? 'active' : 'blackhole';
  }
}

function checkDestination(destination: string): Cidr {
  const cidr = parseCidr(destination);
  if (!cidr) {
    throw invalid(
      `Value (${destination}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`,
    );
  }
  return cidr;
}

const GATEWAY_NOT_FOUND: Partial<Record<TargetKind, string>> = {
  gateway: 'InvalidGatewayID.NotFound',
  'nat-gateway': 'InvalidNatGatewayID.NotFound',
  'transit-gateway': 'InvalidTransitGatewayID.NotFound',
  'vpc-peering-connection': 'InvalidVpcPeeringConnectionID.NotFound',
};

function checkTarget(state: AwsState, table: RouteTable, target: RouteTarget): void {
  if (target.kind === 'network-interface') {
    const eni = state.eni(target.id);
    if (eni.vpc_id !== table.vpc_id) {
      throw invalid(`route table ${table.id} and network interface ${eni.id} belong to different networks`);
    }
    return;
  }
  if (target.kind === 'instance') {
    state.instance(target.id);
    if (state.enisOf(target.id).length > 1) {
      throw new SimError(
        400,
        'InvalidInstanceID',
        `There are multiple interfaces attached to instance '${target.id}'. Please specify an interface ID for the operation instead.`,
      );
    }
    return;
  }
  if (!state.data.gateways.includes(target.id)) {
    throw new SimError(
      400,
      GATEWAY_NOT_FOUND[target.kind] ?? 'InvalidGatewayID.NotFound',
      `The gateway ID '${target.id}' does not exist`,
    );
  }
}

function staticRoute(table: RouteTable, destination: string): Route | undefined {
  return table.routes.find((r) => r.destination === destination && r.origin !== 'EnableVgwRoutePropagation');
}

export function createRoute(
  state: AwsState,
  table_id: string,
  destination: string,
  target: RouteTarget,
): void {
  const table = state.routeTable(table_id);
  checkDestination(destination);
  checkTarget(state, table, target);
  const existing = staticRoute(table, destination);
  if (existing) {
    // Same target again is idempotent; only another static entry conflicts (a propagated one is overridden).
    if (existing.target_kind === target.kind && existing.target_id === target.id) return;
    throw new SimError(400, 'RouteAlreadyExists', `The route identified by ${destination} already exists.`);
  }
  table.routes.push({ destination, target_kind: target.kind, target_id: target.id, origin: 'CreateRoute' });
}

export function replaceRoute(
  state: AwsState,
  table_id: string,
  destination: string,
  target: RouteTarget,
): void {
  const table = state.routeTable(table_id);
  checkDestination(destination);
  const existing = staticRoute(table, destination);
  if (!existing) {
    throw invalid(
      `There is no route defined for '${destination}' in the route table. Use CreateRoute instead.`,
    );
  }
  if (existing.origin === 'CreateRouteTable')
    throw invalid(`The local route for '${destination}' cannot be replaced.`);
  checkTarget(state, table, target);
  existing.target_kind = target.kind;
  existing.target_id = target.id;
}

export function deleteRoute(state: AwsState, table_id: string, destination: string): void {
  const table = state.routeTable(table_id);
  checkDestination(destination);
  const existing = staticRoute(table, destination);
  if (!existing || existing.origin === 'CreateRouteTable') {
    throw new SimError(
      400,
      'InvalidRoute.NotFound',
      `no route with destination-cidr-block ${destination} in route table ${table_id}`,
    );
  }
  table.routes.splice(table.routes.indexOf(existing), 1);
}

/** A route learned from a virtual private gateway (Direct Connect / VPN), as BGP would add it. */
export function propagateRoute(state: AwsState, table_id: string, destination: string, vgw_id: string): void {
  const table = state.routeTable(table_id);
  checkDestination(destination);
  if (!table.propagating_vgws.includes(vgw_id)) table.propagating_vgws.push(vgw_id);
  if (!state.data.gateways.includes(vgw_id)) state.data.gateways.push(vgw_id);
  const same = table.routes.find(
    (r) => r.destination === destination && r.origin === 'EnableVgwRoutePropagation',
  );
  if (same) same.target_id = vgw_id;
  else
    table.routes.push({
      destination,
      target_kind: 'gateway',
      target_id: vgw_id,
      origin: 'EnableVgwRoutePropagation',
    });
}

export function withdrawRoute(state: AwsState, table_id: string, destination: string): void {
  const table = state.routeTable(table_id);
  table.routes = table.routes.filter(
    (r) => !(r.destination === destination && r.origin === 'EnableVgwRoutePropagation'),
  );
}

export interface EffectiveRoute {
  route: Route;
  state: RouteState;
}

const RANK: Record<Route['origin'], number> = {
  CreateRouteTable: 0,
  CreateRoute: 0,
  EnableVgwRoutePropagation: 2,
};

/** Where the table sends `ip`: longest prefix, then static over propagated; the local route beats any propagated one. */
export function effectiveRoute(state: AwsState, table_id: string, ip: string): EffectiveRoute | undefined {
  const table = state.routeTable(table_id);
  const matching = table.routes.filter((r) => {
    const c = parseCidr(r.destination);
    return c !== undefined && contains(c, ip);
  });
  const local = matching.some((r) => r.origin === 'CreateRouteTable');
  const candidates = local ? matching.filter((r) => r.origin !== 'EnableVgwRoutePropagation') : matching;
  const best = candidates.sort((a, b) => {
    const bits = (parseCidr(b.destination)?.bits ?? 0) - (parseCidr(a.destination)?.bits ?? 0);
    return bits !== 0 ? bits : RANK[a.origin] - RANK[b.origin];
  })[0];
  return best ? { route: best, state: routeState(state, best) } : undefined;
}

export function routeTableFilters(state: AwsState): Record<string, FilterFn<RouteTable>> {
  const routes = (get: (r: Route) => string | undefined) => anyOf<RouteTable>((t) => t.routes.map(get));
  const target = (kind: TargetKind) => routes((r) => (r.target_kind === kind ? r.target_id : undefined));
  return {
    'route-table-id': field((t) => t.id),
    'vpc-id': field((t) => t.vpc_id),
    'association.subnet-id': anyOf((t) => t.associations.map((a) => a.subnet_id)),
    'association.route-table-association-id': anyOf((t) => t.associations.map((a) => a.id)),
    'association.main': anyOf((t) => t.associations.map((a) => String(a.main))),
    'route.destination-cidr-block': routes((r) => r.destination),
    'route.gateway-id': target('gateway'),
    'route.instance-id': anyOf((t) =>
      t.routes.map((r) => (r.target_kind === 'instance' ? r.target_id : instanceOfEni(state, r))),
    ),
    'route.nat-gateway-id': target('nat-gateway'),
    'route.transit-gateway-id': target('transit-gateway'),
    'route.vpc-peering-connection-id': target('vpc-peering-connection'),
    'route.state': routes((r) => routeState(state, r)),
    'route.origin': routes((r) => r.origin),
    'tag:Name': field((t) => t.name),
  };
}

export function instanceOfEni(state: AwsState, route: Route): string | undefined {
  if (route.target_kind !== 'network-interface') return undefined;
  return state.data.enis[route.target_id]?.attachment?.instance_id;
}
