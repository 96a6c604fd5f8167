// A site's network as one whole: native ranges (one per node), routed ranges and cloud settings,
// validated together because most rules (overlap, floating IP, models) span several of them.

import type { ActiveNode } from '../../core/types.js';
import { parseCidr } from '../../net/address.js';
import { ControllerError } from '../errors.js';
import type { SiteKind } from '../store/tables.js';
import { checkHostIp, checkNoOverlap, gatewayOf, type NamedSubnet, parseIp, parseSubnet } from './ranges.js';

export interface CloudSettings {
  readonly aws?: { readonly route_tables: readonly string[]; readonly destinations: readonly string[] };
  readonly azure?: {
    readonly floating_ip: string | null;
    readonly route_tables?: readonly string[];
    readonly prefixes?: readonly string[];
  };
}

export interface NodeNet {
  readonly role: 'primary' | 'secondary';
  readonly model: string;
  readonly mgmt_ip: string;
  readonly subnet: string;
}

export interface RangeNet {
  readonly id?: string;
  readonly name: string;
  readonly subnet: string;
}

export interface SiteNet {
  readonly kind: SiteKind;
  readonly cloud: CloudSettings;
  readonly nodes: readonly NodeNet[];
  readonly ranges: readonly RangeNet[];
}

export function validateCloud(kind: SiteKind, cloud: CloudSettings): void {
  if (cloud.aws !== undefined && kind !== 'aws') {
    throw new ControllerError(
      'cloud-settings-mismatch',
      `AWS settings are for an aws site, not a ${kind} one`,
      '/aws',
    );
  }
  if (cloud.azure !== undefined && kind !== 'azure') {
    throw new ControllerError(
      'cloud-settings-mismatch',
      `Azure settings are for an azure site, not a ${kind} one`,
      '/azure',
    );
  }
  if (cloud.aws !== undefined) checkCidrs(cloud.aws.destinations, '/aws/destinations', 'destination');
  if (cloud.azure?.prefixes !== undefined) checkCidrs(cloud.azure.prefixes, '/azure/prefixes', 'prefix');
  cloud.azure?.route_tables?.forEach((t, i, all) => {
    // An ARM id and a bare name may name the same table; compare by name as the agent resolves them.
    const name = (x: string): string => (x.split('/').pop() ?? x).toLowerCase();
    if (all.findIndex((u) => name(u) === name(t)) !== i)
      throw new ControllerError(
        'invalid-request',
        `route table ${t} is listed twice; list each once`,
        `/azure/route_tables/${i}`,
      );
  });
  const floating = cloud.azure?.floating_ip ?? null;
  // Checked here too, so that a site without nodes cannot store an address that is not one.
  if (floating !== null) parseIp(floating, '/azure/floating_ip');
}

/** Each an IPv4 network in CIDR form (no host bits), listed once. */
function checkCidrs(list: readonly string[], base: string, what: string): void {
  list.forEach((d, i) => {
    const path = `${base}/${i}`;
    const parsed = parseCidr(d, { family: 4, network: true });
    if (!parsed.ok) throw new ControllerError('invalid-subnet', `${what}: ${parsed.expected}`, path);
    if (list.indexOf(d) !== i)
      throw new ControllerError('invalid-request', `${what} ${d} is listed twice; list each once`, path);
  });
}

/** Refuses a network that breaks any rule, naming the rule and the field. */
export function validateNetwork(net: SiteNet): void {
  validateCloud(net.kind, net.cloud);
  const named: NamedSubnet[] = [];
  for (const node of net.nodes) {
    const subnet = parseSubnet(node.subnet, '/subnet');
    checkHostIp(node.mgmt_ip, subnet, net.kind, '/mgmt_ip');
    named.push({ name: `${node.role} native`, subnet, native: true });
  }
  const [a, b] = net.nodes;
  if (a !== undefined && b !== undefined) {
    if (a.mgmt_ip === b.mgmt_ip) {
      throw new ControllerError(
        'conflict',
        `both nodes use ${a.mgmt_ip}; each node needs its own address`,
        '/mgmt_ip',
      );
    }
    // The reference: a physical pair must be two appliances of the same model.
    if (net.kind === 'physical' && a.model !== b.model) {
      throw new ControllerError(
        'model-mismatch',
        `a physical pair needs two nodes of the same model: ${a.role} is ${a.model}, ${b.role} is ${b.model}`,
        '/model',
      );
    }
  }
  const floating = net.cloud.azure?.floating_ip ?? null;
  if (floating !== null) {
    for (const node of net.nodes) {
      checkHostIp(
        floating,
        parseSubnet(node.subnet, '/subnet'),
        'azure',
        '/azure/floating_ip',
        'floating-ip-outside-range',
      );
      if (floating === node.mgmt_ip) {
        throw new ControllerError(
          'conflict',
          `the floating IP ${floating} is the ${node.role}'s own address`,
          '/azure/floating_ip',
        );
      }
    }
  }
  for (const r of net.ranges)
    named.push({ name: r.name, subnet: parseSubnet(r.subnet, '/subnet'), native: false });
  checkNoOverlap(named, '/subnet');
}

export interface NetworkView {
  readonly native: readonly {
    role: 'primary' | 'secondary';
    subnet: string;
    local_ip: string;
    gateway: string;
  }[];
  readonly routed: readonly { id: string | null; name: string; subnet: string; gateway: string | null }[];
  /** Whose native gateway the routed ranges use now. */
  readonly routed_via: 'primary' | 'secondary' | null;
}

/**
 * Gateways are computed (network + 1), never set. Routed ranges follow the active node's native
 * range; in Azure the floating IP stands in for the node's local IP.
 */
export function networkView(net: SiteNet, active: ActiveNode): NetworkView {
  // The floating IP stands in for a pair's local IPs; a node alone keeps its own address.
  const floating =
    net.kind === 'azure' && net.nodes.length === 2 ? (net.cloud.azure?.floating_ip ?? null) : null;
  const native = net.nodes.map((n) => ({
    role: n.role,
    subnet: n.subnet,
    local_ip: floating ?? n.mgmt_ip,
    gateway: gatewayOf(parseSubnet(n.subnet, '/subnet')),
  }));
  const via =
    active === 'secondary' && native.some((n) => n.role === 'secondary')
      ? 'secondary'
      : native.length > 0
        ? 'primary'
        : null;
  const gateway = native.find((n) => n.role === via)?.gateway ?? null;
  const routed = net.ranges.map((r) => ({ id: r.id ?? null, name: r.name, subnet: r.subnet, gateway }));
  return { native, routed, routed_via: via };
}
