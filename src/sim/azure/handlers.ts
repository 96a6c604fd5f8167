// ARM operations on NICs, route tables and routes: validation, etags, busy resources and LRO start.
import type { SimContext } from '../context.js';
import type { SimError } from '../errors.js';
import type { Identity } from '../iam.js';
import { armError, key } from './model.js';
import { nicFromBody, planNicWrite, renderNic } from './nics.js';
import { operation, operationHeaders, operationPath, renderOperation, startOperation } from './operations.js';
import { newRoute, parseRoute, parseTableRoutes, renderRoute, renderRouteTable } from './routes.js';
import { type Json, parseJson } from './wire.js';

export interface ArmRequest {
  ctx: SimContext;
  identity: Identity;
  /** ARM id of the addressed resource, as the URL spells it. */
  id: string;
  name: string;
  body: string;
  if_match: string | undefined;
  action: string;
}

export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function notFound(type: string, name: string, rg: string): SimError {
  return armError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg}' was not found.`,
  );
}

function rgOf(id: string): string {
  return /resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

function checkIfMatch(if_match: string | undefined, etag: string | undefined): void {
  if (if_match === undefined) return;
  if (if_match === '*' ? etag !== undefined : if_match === etag) return;
  throw armError(
    412,
    'PreconditionFailed',
    `The condition specified using HTTP conditional header(s) is not met (If-Match ${if_match}, current etag ${etag ?? 'none'}).`,
  );
}

function busy(r: ArmRequest, op_id: string): SimError {
  const op = r.ctx.azure.data.operations[op_id];
  const uri = op ? `${r.ctx.azure_url}${operationPath(r.ctx.azure, op)}` : op_id;
  return armError(
    409,
    'AnotherOperationInProgress',
    `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${uri}`,
  );
}

export function getNic(r: ArmRequest): ArmReply {
  const nic = r.ctx.azure.nic(r.id);
  if (!nic) throw notFound('Microsoft.Network/networkInterfaces', r.name, rgOf(r.id));
  return { status: 200, body: renderNic(nic) };
}

export function listNics(r: ArmRequest): ArmReply {
  r.ctx.azure.settle();
  const prefix = `${key(r.id)}/`;
  const nics = Object.values(r.ctx.azure.data.nics).filter((n) => key(n.id).startsWith(prefix));
  return { status: 200, body: { value: nics.map(renderNic) } };
}

/** Write access to the NIC is not enough: each referenced subnet needs `join`, or ARM answers LinkedAuthorizationFailed. */
function checkJoins(r: ArmRequest, subnet_ids: string[]): void {
  const action = 'Microsoft.Network/virtualNetworks/subnets/join/action';
  for (const subnet of subnet_ids) {
    if (r.ctx.iam.allows(r.identity, action, subnet)) continue;
    throw armError(
      403,
      'LinkedAuthorizationFailed',
      `The client '${r.identity.azure_client_id}' with object id '${r.identity.azure_principal_id}' has permission to perform action '${r.action}' on scope '${r.id}'; however, it does not have permission to perform action '${action}' on the linked scope(s) '${subnet}' or the linked scope(s) are invalid.`,
    );
  }
}

export function putNic(r: ArmRequest): ArmReply {
  const state = r.ctx.azure;
  const body: Json = parseJson(r.body);
  const existing = state.nic(r.id);
  if (existing?.operation_id) throw busy(r, existing.operation_id);
  checkIfMatch(r.if_match, existing?.etag);
  const configs = planNicWrite(state, existing?.id ?? r.id, body, existing);
  checkJoins(r, [...new Set(configs.map((c) => c.subnet_id))]);
  const nic = nicFromBody(state, r.id, r.name, body, existing);
  nic.ip_configurations = configs.map((c) => ({ ...c, etag: nic.etag }));
  const kept = new Set(configs.map((c) => c.private_ip));
  nic.releasing_ips = (existing?.ip_configurations ?? [])
    .map((c) => c.private_ip)
    .filter((ip) => !kept.has(ip));
  const op = startOperation(
    state,
    'nic-write',
    nic.id,
    state.data.nic_update_delay_ms,
    r.ctx.faults.failsOperation(r.action),
  );
  nic.operation_id = op.id;
  state.data.nics[key(nic.id)] = nic;
  return {
    status: existing ? 200 : 201,
    body: renderNic(nic),
    headers: operationHeaders(state, r.ctx.azure_url, op),
  };
}

function table(r: ArmRequest, table_id: string) {
  const t = r.ctx.azure.routeTable(table_id);
  if (!t) throw notFound('Microsoft.Network/routeTables', table_id.split('/').pop() ?? '', rgOf(table_id));
  return t;
}

export function getRouteTable(r: ArmRequest): ArmReply {
  return { status: 200, body: renderRouteTable(table(r, r.id)) };
}

export function putRouteTable(r: ArmRequest): ArmReply {
  const state = r.ctx.azure;
  const body = parseJson(r.body);
  let t = state.routeTable(r.id);
  if (t?.operation_id) throw busy(r, t.operation_id);
  const busyRoute = t?.routes.find((x) => x.operation_id);
  if (busyRoute?.operation_id) throw busy(r, busyRoute.operation_id);
  checkIfMatch(r.if_match, t?.etag);
  const routes = parseTableRoutes(body);
  const created = t === undefined;
  if (!t) {
    t = {
      id: r.id,
      name: r.name,
      location: typeof body.location === 'string' ? body.location : state.data.location,
      etag: '',
      resource_guid: state.guid(),
      disable_bgp_route_propagation: false,
      routes: [],
      subnet_ids: [],
      provisioning_state: 'Creating',
      operation_id: undefined,
    };
    state.data.route_tables[key(r.id)] = t;
  }
  const props = (body.properties ?? {}) as Json;
  if (typeof props.disableBgpRoutePropagation === 'boolean')
    t.disable_bgp_route_propagation = props.disableBgpRoutePropagation;
  const current = t;
  current.etag = state.etag();
  current.routes = routes.map((x) => newRoute(state, current, x.name, x.spec));
  if (!created) current.provisioning_state = 'Updating';
  const op = startOperation(
    state,
    'route-table-write',
    t.id,
    state.data.route_update_delay_ms,
    r.ctx.faults.failsOperation(r.action),
  );
  t.operation_id = op.id;
  return {
    status: created ? 201 : 200,
    body: renderRouteTable(t),
    headers: operationHeaders(state, r.ctx.azure_url, op),
  };
}

function tableIdOf(route_id: string): string {
  return route_id.replace(/\/routes\/[^/]+$/i, '');
}

export function listRoutes(r: ArmRequest): ArmReply {
  return { status: 200, body: { value: table(r, r.id.replace(/\/routes$/i, '')).routes.map(renderRoute) } };
}

export function getRoute(r: ArmRequest): ArmReply {
  const route = table(r, tableIdOf(r.id)).routes.find((x) => key(x.id) === key(r.id));
  if (!route)
    throw armError(404, 'NotFound', `Route ${r.name} was not found in route table ${tableIdOf(r.id)}.`);
  return { status: 200, body: renderRoute(route) };
}

export function putRoute(r: ArmRequest): ArmReply {
  const state = r.ctx.azure;
  const t = table(r, tableIdOf(r.id));
  if (t.operation_id) throw busy(r, t.operation_id);
  const spec = parseRoute(parseJson(r.body));
  const existing = t.routes.find((x) => key(x.id) === key(r.id));
  if (existing?.operation_id) throw busy(r, existing.operation_id);
  checkIfMatch(r.if_match, existing?.etag);
  const route = newRoute(state, t, existing?.name ?? r.name, spec);
  const op = startOperation(
    state,
    'route-write',
    route.id,
    state.data.route_update_delay_ms,
    r.ctx.faults.failsOperation(r.action),
  );
  route.operation_id = op.id;
  if (existing) t.routes[t.routes.indexOf(existing)] = route;
  else t.routes.push(route);
  t.etag = state.etag();
  return {
    status: existing ? 200 : 201,
    body: renderRoute(route),
    headers: operationHeaders(state, r.ctx.azure_url, op),
  };
}

export function deleteRoute(r: ArmRequest): ArmReply {
  const state = r.ctx.azure;
  const t = table(r, tableIdOf(r.id));
  const route = t.routes.find((x) => key(x.id) === key(r.id));
  if (!route) return { status: 204 };
  if (route.operation_id) throw busy(r, route.operation_id);
  checkIfMatch(r.if_match, route.etag);
  const op = startOperation(
    state,
    'route-delete',
    route.id,
    state.data.route_update_delay_ms,
    r.ctx.faults.failsOperation(r.action),
  );
  route.operation_id = op.id;
  route.provisioning_state = 'Deleting';
  t.etag = state.etag();
  return { status: 202, headers: operationHeaders(state, r.ctx.azure_url, op, true) };
}

export function getOperation(r: ArmRequest): ArmReply {
  const op = operation(r.ctx.azure, r.name);
  const headers: Record<string, string> = {};
  if (op.status === 'InProgress' && r.ctx.azure.data.lro_retry_after_s !== null) {
    headers['retry-after'] = String(r.ctx.azure.data.lro_retry_after_s);
  }
  return { status: 200, body: renderOperation(op), headers };
}

export function getOperationResult(r: ArmRequest): ArmReply {
  const op = operation(r.ctx.azure, r.name);
  if (op.status === 'InProgress')
    return { status: 202, headers: operationHeaders(r.ctx.azure, r.ctx.azure_url, op, true) };
  if (op.status === 'Failed')
    throw armError(500, op.error?.code ?? 'InternalServerError', op.error?.message ?? 'failed');
  return { status: 204 };
}

/** The caller's permitted actions at a scope (what ARM's Microsoft.Authorization/permissions lists). */
export function getPermissions(r: ArmRequest): ArmReply {
  const scope = r.id.replace(/\/providers\/Microsoft\.Authorization\/permissions$/i, '');
  const actions = r.ctx.iam.actionsAt(r.identity, scope);
  return { status: 200, body: { value: [{ actions, notActions: [], dataActions: [], notDataActions: [] }] } };
}
