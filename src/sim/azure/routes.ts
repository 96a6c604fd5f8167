// User-defined routes: one sub-resource per prefix; a PUT of the whole table replaces all of them.
import { isIpv4, parseCidr } from '../cidr.js';
import { type AzureRoute, type AzureRouteTable, type AzureState, armError } from './model.js';
import { arr, type Json, obj, optStr } from './wire.js';

const NEXT_HOP_TYPES = ['VirtualNetworkGateway', 'VnetLocal', 'Internet', 'VirtualAppliance', 'None'];

export interface RouteSpec {
  address_prefix: string;
  next_hop_type: string;
  next_hop_ip: string | undefined;
}

export function parseRoute(body: Json, path = 'properties'): RouteSpec {
  const p = obj(body.properties ?? {}, path);
  const prefix = optStr(p.addressPrefix, `${path}.addressPrefix`);
  if (!prefix || !parseCidr(prefix)) {
    throw armError(
      400,
      'InvalidAddressPrefixFormat',
      `${path}.addressPrefix '${prefix ?? ''}' is not a valid IPv4 prefix.`,
    );
  }
  const type = optStr(p.nextHopType, `${path}.nextHopType`) ?? '';
  if (!NEXT_HOP_TYPES.includes(type)) {
    throw armError(
      400,
      'InvalidNextHopType',
      `${path}.nextHopType '${type}' must be one of ${NEXT_HOP_TYPES.join(', ')}.`,
    );
  }
  const ip = optStr(p.nextHopIpAddress, `${path}.nextHopIpAddress`);
  if (type === 'VirtualAppliance' && (!ip || !isIpv4(ip))) {
    throw armError(
      400,
      'InvalidNextHopIpAddress',
      `${path}.nextHopIpAddress must be an IPv4 address when nextHopType is VirtualAppliance.`,
    );
  }
  if (type !== 'VirtualAppliance' && ip) {
    throw armError(
      400,
      'NextHopIpAddressNotAllowed',
      `${path}.nextHopIpAddress is only allowed with nextHopType VirtualAppliance, not ${type}.`,
    );
  }
  return { address_prefix: prefix, next_hop_type: type, next_hop_ip: ip };
}

export function parseTableRoutes(body: Json): { name: string; spec: RouteSpec }[] {
  const props = obj(body.properties ?? {}, 'properties');
  return arr(props.routes ?? [], 'properties.routes').map((raw, i) => {
    const r = obj(raw, `properties.routes[${i}]`);
    const name = optStr(r.name, `properties.routes[${i}].name`);
    if (!name) throw armError(400, 'InvalidRequestFormat', `properties.routes[${i}].name is required`);
    return { name, spec: parseRoute(r, `properties.routes[${i}].properties`) };
  });
}

export function newRoute(
  state: AzureState,
  table: AzureRouteTable,
  name: string,
  spec: RouteSpec,
): AzureRoute {
  const previous = table.routes.find((r) => r.name.toLowerCase() === name.toLowerCase());
  return {
    id: `${table.id}/routes/${name}`,
    name,
    etag: state.etag(),
    address_prefix: spec.address_prefix,
    next_hop_type: spec.next_hop_type,
    next_hop_ip: spec.next_hop_ip,
    provisioning_state: 'Updating',
    operation_id: undefined,
    // Until this write completes, traffic keeps following the previous configuration of the route.
    applied: previous?.applied,
  };
}

export function renderRoute(r: AzureRoute): Json {
  return {
    id: r.id,
    name: r.name,
    type: 'Microsoft.Network/routeTables/routes',
    etag: r.etag,
    properties: {
      provisioningState: r.provisioning_state,
      addressPrefix: r.address_prefix,
      nextHopType: r.next_hop_type,
      ...(r.next_hop_ip ? { nextHopIpAddress: r.next_hop_ip } : {}),
    },
  };
}

export function renderRouteTable(t: AzureRouteTable): Json {
  return {
    id: t.id,
    name: t.name,
    type: 'Microsoft.Network/routeTables',
    location: t.location,
    etag: t.etag,
    properties: {
      provisioningState: t.provisioning_state,
      resourceGuid: t.resource_guid,
      disableBgpRoutePropagation: t.disable_bgp_route_propagation,
      routes: t.routes.map(renderRoute),
      subnets: t.subnet_ids.map((id) => ({ id })),
    },
  };
}
