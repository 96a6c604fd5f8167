// Preflight for azure-* actions: every NIC and route table exists and is readable; the identity may make the
// writes (ARM's permissions listing, else "read OK, write not verified"); IP forwarding on our NIC; the floating
// IP inside our subnet and not one Azure reserves. Each failure tells "cannot authenticate / no permission"
// apart from "wrong NIC or subnet settings", as the reference's API test does. The checks users most often get
// wrong (IP forwarding off, a route table no subnet uses) carry the kit's PREREQUISITE prefix, so the
// controller's API test lists them as the site's prerequisites.
import type { RouteTable } from '@azure/arm-network';
import { contains, lastOf, nthOf, parseAddress, parseCidr } from '../../net/address.js';
import { PREREQUISITE } from '../kit/preflight-report.js';
import { budget, type CallBudget } from '../kit/retry.js';
import type { ActionContext, PreflightCheck } from '../types.js';
import { granted, listPermissions, withRetry } from './client.js';
import { classify } from './errors.js';
import { Nics, nicRef, primaryOf } from './nic.js';
import { ROUTE_WRITE, writesFor } from './role.js';
import type { FloatingIpSpec, RouteTableSpec } from './schema.js';
import { type AzureSession, nameOf, type Where } from './session.js';

export function failed(check: string, err: unknown): PreflightCheck {
  const e = classify(err, check);
  switch (e.code) {
    case 'AZURE_AUTH':
      return {
        check,
        status: 'cannot-authenticate',
        detail: e.message,
        fix: "check the VM's managed identity",
      };
    case 'AZURE_FORBIDDEN':
      return {
        check,
        status: 'missing-permission',
        detail: e.message,
        fix: "assign the role printed by `tandem azure-role --config FILE` to this node's identity",
      };
    case 'AZURE_NOT_FOUND':
    case 'AZURE_DISCOVERY':
      return { check, status: 'wrong-id', detail: e.message, fix: 'correct the name in the config' };
    case 'AZURE_UNREACHABLE':
    case 'AZURE_DEADLINE':
    case 'AZURE_THROTTLED':
    case 'AZURE_SERVER':
      return {
        check,
        status: 'unreachable',
        detail: e.message,
        fix: 'check arm_endpoint, DNS, routes and the CA',
      };
    default:
      return { check, status: 'error', detail: e.message };
  }
}

async function step<T>(out: PreflightCheck[], check: string, run: () => Promise<T>): Promise<T | null> {
  try {
    const v = await run();
    out.push({ check, status: 'ok' });
    return v;
  } catch (err) {
    out.push(failed(check, err));
    return null;
  }
}

/** Resolution first: without it (no identity, no NIC) nothing else can be checked. */
async function resolved(s: AzureSession, b: CallBudget, out: PreflightCheck[]): Promise<Where | null> {
  return step(out, 'discover subscription, resource group and our NIC', () => s.where(b));
}

async function permissions(
  s: AzureSession,
  w: Where,
  wanted: readonly string[],
  b: CallBudget,
): Promise<PreflightCheck> {
  const scope = s.resourceGroupScope(w);
  const check = `permissions for the writes at ${scope}`;
  try {
    const perms = await withRetry('list permissions', b, (signal) =>
      listPermissions(w.client, s.endpoint, scope, signal),
    );
    // The operation reads are granted at the subscription's locations scope, not here: only the writes are checked.
    const missing = wanted.filter((a) => !granted(a, perms));
    if (missing.length === 0) return { check, status: 'ok' };
    return {
      check,
      status: 'missing-permission',
      detail: `this identity lacks ${missing.join(', ')}`,
      fix: "assign the role printed by `tandem azure-role --config FILE` to this node's identity",
    };
  } catch (err) {
    const e = classify(err, check);
    if (e.code === 'AZURE_FORBIDDEN' || e.code === 'AZURE_NOT_FOUND')
      return {
        check,
        status: 'ok',
        detail: 'read OK, write not verified (the permissions listing is not allowed)',
      };
    return failed(check, err);
  }
}

export async function floatingIpChecks(
  s: AzureSession,
  spec: FloatingIpSpec,
  ctx: ActionContext,
): Promise<PreflightCheck[]> {
  const b = budget(ctx.deadline_ms, ctx.signal, s.retry);
  const out: PreflightCheck[] = [];
  const w = await resolved(s, b, out);
  if (w === null) return out;
  const nics = new Nics(s);
  const own = await step(out, `read our NIC ${w.nic}`, () =>
    withRetry('read our NIC', b, (signal) =>
      nics.get(w, { resource_group: w.resource_group, name: w.nic }, signal),
    ),
  );
  await step(out, `read the peer NIC ${nameOf(spec.peer_nic)}`, () =>
    withRetry('read the peer NIC', b, (signal) => nics.get(w, nicRef(spec.peer_nic, w), signal)),
  );
  out.push(await permissions(s, w, writesFor([spec]), b));
  if (own === null) return out;
  out.push(forwarding(w.nic, own.enableIPForwarding));
  if (!primaryOf(own)?.subnet?.id)
    out.push({
      check: `primary ipConfiguration of ${w.nic}`,
      status: 'wrong-setting',
      detail: 'no ipConfiguration has primary: true with a subnet',
      fix: 'check the NIC in the portal',
    });
  out.push(inSubnet(spec.address, await s.subnetCidr(w)));
  return out;
}

/** What a route-table preflight checks beyond reading the tables: a pair node forwards; pathwatch deletes. */
export interface RouteTableCheckOptions {
  /** The write-side actions the identity needs at the resource group. */
  readonly writes: readonly string[];
  /** Whether our own NIC must forward (a pair node is the next hop; pathwatch points at an appliance). */
  readonly own_forwarding: boolean;
}

export async function routeTableChecks(
  s: AzureSession,
  spec: Pick<RouteTableSpec, 'route_tables'>,
  ctx: ActionContext,
  o: RouteTableCheckOptions = { writes: ROUTE_WRITE, own_forwarding: true },
): Promise<PreflightCheck[]> {
  const b = budget(ctx.deadline_ms, ctx.signal, s.retry);
  const out: PreflightCheck[] = [];
  const w = await resolved(s, b, out);
  if (w === null) return out;
  const nics = new Nics(s);
  const own = await step(out, `read our NIC ${w.nic}`, () =>
    withRetry('read our NIC', b, (signal) =>
      nics.get(w, { resource_group: w.resource_group, name: w.nic }, signal),
    ),
  );
  const tables: RouteTable[] = [];
  for (const t of spec.route_tables) {
    const table = await step(out, `read route table ${nameOf(t)}`, () =>
      withRetry(`read route table ${nameOf(t)}`, b, (signal) =>
        w.client.routeTables.get(w.resource_group, nameOf(t), s.opts(signal)),
      ),
    );
    if (table !== null) tables.push(table);
  }
  out.push(await permissions(s, w, o.writes, b));
  if (own !== null && o.own_forwarding) out.push(forwarding(w.nic, own.enableIPForwarding));
  out.push(...tables.map(associated));
  return out;
}

/**
 * A route table steers the traffic of the subnets associated with it and of nothing else: one without a subnet
 * makes a failover that rewrites it change nothing (the Azure analogue of AWS's "subnet associated").
 */
function associated(table: RouteTable): PreflightCheck {
  const name = table.name ?? '?';
  const check = `${PREREQUISITE}route table ${name} associated with a subnet`;
  const subnets = (table.subnets ?? []).map((x) => nameOf(x.id ?? '')).filter((x) => x !== '');
  if (subnets.length > 0) return { check, status: 'ok', detail: `used by ${subnets.join(', ')}` };
  return {
    check,
    status: 'wrong-setting',
    detail: `no subnet uses ${name}: rewriting its routes moves no traffic`,
    fix: `az network vnet subnet update --vnet-name VNET -n SUBNET --route-table ${name}`,
  };
}

/** The Azure analogue of AWS's source/destination check: without it the NIC drops what the node forwards. */
function forwarding(nic: string, on: boolean | undefined): PreflightCheck {
  const check = `${PREREQUISITE}IP forwarding enabled on ${nic}`;
  return on
    ? { check, status: 'ok' }
    : {
        check,
        status: 'wrong-setting',
        detail: 'enableIPForwarding is off: Azure drops packets this node forwards',
        fix: `az network nic update -n ${nic} --ip-forwarding true`,
      };
}

/** Azure reserves the network address, .1 (gateway), .2 and .3 (DNS) and the last address of every subnet. */
export function inSubnet(address: string, subnet_cidr: string | null): PreflightCheck {
  const check = `floating IP ${address} inside our subnet and not reserved`;
  const subnet = subnet_cidr === null ? null : parseCidr(subnet_cidr);
  const ip = parseAddress(address, 4);
  if (subnet === null || !subnet.ok || !ip.ok)
    return {
      check,
      status: 'ok',
      detail:
        'not verified: the instance metadata service gave no subnet for our NIC (unreachable from here); ' +
        'ARM is not asked (that would need virtualNetworks/subnets/read in the role). A managed site checks the ' +
        "floating IP against the nodes' native ranges in the controller",
    };
  if (!contains(subnet.value, ip.value))
    return {
      check,
      status: 'wrong-setting',
      detail: `${address} is outside ${subnet_cidr}, the subnet of our primary ipConfiguration`,
      fix: 'choose a free address in that subnet',
    };
  const reserved = [0, 1, 2, 3].map((n) => nthOf(subnet.value, n).text).concat(lastOf(subnet.value).text);
  if (reserved.includes(ip.value.text))
    return {
      check,
      status: 'wrong-setting',
      detail: `${address} is reserved by Azure in ${subnet_cidr} (${reserved.join(', ')})`,
      fix: 'choose a free address in that subnet',
    };
  return { check, status: 'ok' };
}
