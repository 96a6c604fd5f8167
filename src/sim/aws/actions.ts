// The EC2 actions the simulator answers: parameters in, model call, XML out. One entry per action.
import { SimError } from '../errors.js';
import { addressFilters, allocateAddress, associateAddress, disassociateAddress } from './addresses.js';
import {
  assignPrivateIps,
  attachEni,
  createEni,
  deleteEni,
  detachEni,
  eniFilters,
  setSourceDestCheck,
  unassignPrivateIps,
} from './enis.js';
import { instanceFilters, runInstance, terminateInstance } from './instances.js';
import type { AwsState, TargetKind } from './model.js';
import { applyFilters, type Params } from './query.js';
import {
  renderAddress,
  renderEni,
  renderReservation,
  renderRouteTable,
  renderSubnet,
  renderVpc,
} from './render.js';
import {
  createRoute,
  deleteRoute,
  type RouteTarget,
  replaceRoute,
  routeTableFilters,
} from './route-tables.js';
import { subnetFilters, vpcFilters } from './vpcs.js';
import type { XmlObject } from './xml.js';

export type ResourceKind =
  | 'route-table'
  | 'network-interface'
  | 'instance'
  | 'elastic-ip'
  | 'subnet'
  | 'vpc'
  | '*';

export interface ResourceRef {
  kind: ResourceKind;
  id: string;
  /** Checked for existence before a dry run answers, but not part of the IAM resource (EC2 authorizes route calls on the table). */
  exists_only?: boolean;
}

export interface ActionSpec {
  mutating: boolean;
  /** What the call touches: checked against the identity's policy, and for existence before a dry run answers. */
  resources(p: Params): ResourceRef[];
  run(p: Params, s: AwsState): XmlObject;
}

const ALL: ResourceRef[] = [{ kind: '*', id: '*' }];
const ok: XmlObject = { return: true };

const TARGETS: [string, TargetKind][] = [
  ['NetworkInterfaceId', 'network-interface'],
  ['InstanceId', 'instance'],
  ['GatewayId', 'gateway'],
  ['NatGatewayId', 'nat-gateway'],
  ['TransitGatewayId', 'transit-gateway'],
  ['VpcPeeringConnectionId', 'vpc-peering-connection'],
];

function target(p: Params): RouteTarget {
  const given = TARGETS.filter(([param]) => p.str(param) !== undefined);
  if (given.length === 0) {
    throw new SimError(
      400,
      'MissingParameter',
      'The request must contain exactly one route target, e.g. NetworkInterfaceId.',
    );
  }
  if (given.length > 1) {
    throw new SimError(
      400,
      'InvalidParameterCombination',
      `Specify only one route target, not ${given.map((g) => g[0]).join(' and ')}.`,
    );
  }
  const [param, kind] = given[0]!;
  return { kind, id: p.req(param) };
}

function destination(p: Params): string {
  if (p.has('DestinationIpv6CidrBlock') || p.has('DestinationPrefixListId')) {
    throw new SimError(
      400,
      'InvalidParameterValue',
      'The simulator supports IPv4 DestinationCidrBlock routes only.',
    );
  }
  return p.req('DestinationCidrBlock');
}

function routeResources(p: Params): ResourceRef[] {
  const refs: ResourceRef[] = [{ kind: 'route-table', id: p.req('RouteTableId') }];
  const eni = p.str('NetworkInterfaceId');
  if (eni) refs.push({ kind: 'network-interface', id: eni, exists_only: true });
  return refs;
}

function byIds<T>(ids: string[], all: Record<string, T>, lookup: (id: string) => T): T[] {
  return ids.length > 0 ? ids.map(lookup) : Object.values(all);
}

export const ACTIONS: Record<string, ActionSpec> = {
  DescribeVpcs: {
    mutating: false,
    resources: () => ALL,
    run: (p, s) => ({
      vpcSet: applyFilters(
        byIds(p.list('VpcId'), s.data.vpcs, (id) => s.vpc(id)),
        p.filters(),
        vpcFilters,
      ).map(renderVpc),
    }),
  },
  DescribeSubnets: {
    mutating: false,
    resources: () => ALL,
    run: (p, s) => ({
      subnetSet: applyFilters(
        byIds(p.list('SubnetId'), s.data.subnets, (id) => s.subnet(id)),
        p.filters(),
        subnetFilters,
      ).map((x) => renderSubnet(s, x)),
    }),
  },
  DescribeRouteTables: {
    mutating: false,
    resources: () => ALL,
    run: (p, s) => {
      const tables = byIds(p.list('RouteTableId'), s.data.route_tables, (id) => s.routeTable(id));
      return {
        routeTableSet: applyFilters(tables, p.filters(), routeTableFilters(s)).map(
          (t) => s.lag.view(t.id, s.clock.now_ms()) ?? renderRouteTable(s, t),
        ),
      };
    },
  },
  CreateRoute: {
    mutating: true,
    resources: routeResources,
    run: (p, s) => {
      createRoute(s, p.req('RouteTableId'), destination(p), target(p));
      return ok;
    },
  },
  ReplaceRoute: {
    mutating: true,
    resources: routeResources,
    run: (p, s) => {
      replaceRoute(s, p.req('RouteTableId'), destination(p), target(p));
      return ok;
    },
  },
  DeleteRoute: {
    mutating: true,
    resources: (p) => [{ kind: 'route-table', id: p.req('RouteTableId') }],
    run: (p, s) => {
      deleteRoute(s, p.req('RouteTableId'), destination(p));
      return ok;
    },
  },
  DescribeNetworkInterfaces: {
    mutating: false,
    resources: () => ALL,
    run: (p, s) => {
      s.settle();
      const enis = byIds(p.list('NetworkInterfaceId'), s.data.enis, (id) => s.eni(id));
      return {
        networkInterfaceSet: applyFilters(enis, p.filters(), eniFilters(s)).map(
          (e) => s.lag.view(e.id, s.clock.now_ms()) ?? renderEni(s, e),
        ),
      };
    },
  },
  CreateNetworkInterface: {
    mutating: true,
    resources: (p) => [{ kind: 'subnet', id: p.req('SubnetId') }],
    run: (p, s) => ({
      networkInterface: renderEni(
        s,
        createEni(s, {
          subnet_id: p.req('SubnetId'),
          private_ip: p.str('PrivateIpAddress'),
          secondary_count: p.int('SecondaryPrivateIpAddressCount'),
          description: p.str('Description'),
        }),
      ),
    }),
  },
  DeleteNetworkInterface: {
    mutating: true,
    resources: (p) => [{ kind: 'network-interface', id: p.req('NetworkInterfaceId') }],
    run: (p, s) => {
      deleteEni(s, p.req('NetworkInterfaceId'));
      return ok;
    },
  },
  AttachNetworkInterface: {
    mutating: true,
    resources: (p) => [
      { kind: 'network-interface', id: p.req('NetworkInterfaceId') },
      { kind: 'instance', id: p.req('InstanceId') },
    ],
    run: (p, s) => {
      const device = p.int('DeviceIndex');
      if (device === undefined)
        throw new SimError(400, 'MissingParameter', 'The request must contain the parameter DeviceIndex');
      return {
        attachmentId: attachEni(s, p.req('NetworkInterfaceId'), p.req('InstanceId'), device),
        networkCardIndex: 0,
      };
    },
  },
  DetachNetworkInterface: {
    mutating: true,
    resources: () => [{ kind: 'network-interface', id: '*' }],
    run: (p, s) => {
      detachEni(s, p.req('AttachmentId'), p.bool('Force') ?? false);
      return ok;
    },
  },
  ModifyNetworkInterfaceAttribute: {
    mutating: true,
    resources: (p) => [{ kind: 'network-interface', id: p.req('NetworkInterfaceId') }],
    run: (p, s) => {
      const value = p.bool('SourceDestCheck.Value');
      if (value === undefined) {
        throw new SimError(
          400,
          'MissingParameter',
          'The simulator supports SourceDestCheck.Value only; it is missing.',
        );
      }
      setSourceDestCheck(s, p.req('NetworkInterfaceId'), value);
      return ok;
    },
  },
  AssignPrivateIpAddresses: {
    mutating: true,
    resources: (p) => [{ kind: 'network-interface', id: p.req('NetworkInterfaceId') }],
    run: (p, s) => {
      const eni = p.req('NetworkInterfaceId');
      const assigned = assignPrivateIps(
        s,
        eni,
        p.list('PrivateIpAddress'),
        p.int('SecondaryPrivateIpAddressCount'),
        p.bool('AllowReassignment') ?? false,
      );
      return {
        networkInterfaceId: eni,
        assignedPrivateIpAddressesSet: assigned.map((ip) => ({ privateIpAddress: ip })),
        return: true,
      };
    },
  },
  UnassignPrivateIpAddresses: {
    mutating: true,
    resources: (p) => [{ kind: 'network-interface', id: p.req('NetworkInterfaceId') }],
    run: (p, s) => {
      unassignPrivateIps(s, p.req('NetworkInterfaceId'), p.list('PrivateIpAddress'));
      return ok;
    },
  },
  DescribeInstances: {
    mutating: false,
    resources: () => ALL,
    run: (p, s) => {
      const all = byIds(p.list('InstanceId'), s.data.instances, (id) => s.instance(id));
      const instances = applyFilters(all, p.filters(), instanceFilters(s));
      return { reservationSet: instances.map((i) => renderReservation(s, [i])) };
    },
  },
  RunInstances: {
    mutating: true,
    resources: (p) => [{ kind: 'subnet', id: p.req('SubnetId') }],
    run: (p, s) => {
      const count = p.int('MinCount') ?? 1;
      if (count !== 1 || (p.int('MaxCount') ?? 1) !== 1) {
        throw new SimError(
          400,
          'InvalidParameterValue',
          'The simulator launches one instance per call (MinCount=MaxCount=1).',
        );
      }
      const inst = runInstance(s, {
        subnet_id: p.req('SubnetId'),
        private_ip: p.str('PrivateIpAddress'),
        image_id: p.str('ImageId'),
        instance_type: p.str('InstanceType'),
      });
      return renderReservation(s, [inst]);
    },
  },
  TerminateInstances: {
    mutating: true,
    resources: (p) => p.list('InstanceId').map((id) => ({ kind: 'instance', id })),
    run: (p, s) => {
      const ids = p.list('InstanceId');
      for (const id of ids) terminateInstance(s, id);
      return {
        instancesSet: ids.map((id) => ({
          instanceId: id,
          currentState: { code: 48, name: 'terminated' },
          previousState: { code: 16, name: 'running' },
        })),
      };
    },
  },
  DescribeAddresses: {
    mutating: false,
    resources: () => ALL,
    run: (p, s) => {
      let all = byIds(p.list('AllocationId'), s.data.addresses, (id) => s.address(id));
      const ips = p.list('PublicIp');
      if (ips.length > 0) all = all.filter((a) => ips.includes(a.public_ip));
      return {
        addressesSet: applyFilters(all, p.filters(), addressFilters(s)).map(
          (a) => s.lag.view(a.allocation_id, s.clock.now_ms()) ?? renderAddress(s, a),
        ),
      };
    },
  },
  AllocateAddress: {
    mutating: true,
    resources: () => [{ kind: 'elastic-ip', id: '*' }],
    run: (_p, s) => {
      const a = allocateAddress(s);
      return { publicIp: a.public_ip, allocationId: a.allocation_id, domain: 'vpc' };
    },
  },
  AssociateAddress: {
    mutating: true,
    resources: (p) => [
      { kind: 'elastic-ip', id: p.req('AllocationId') },
      { kind: 'network-interface', id: p.req('NetworkInterfaceId') },
    ],
    run: (p, s) => ({
      associationId: associateAddress(
        s,
        p.req('AllocationId'),
        p.req('NetworkInterfaceId'),
        p.str('PrivateIpAddress'),
        p.bool('AllowReassociation') ?? true,
      ),
      return: true,
    }),
  },
  DisassociateAddress: {
    mutating: true,
    resources: () => [{ kind: 'elastic-ip', id: '*' }],
    run: (p, s) => {
      disassociateAddress(s, p.req('AssociationId'));
      return ok;
    },
  },
};

/** Fails with the resource's NotFound error when a named resource does not exist. */
export function checkExists(s: AwsState, ref: ResourceRef): void {
  if (ref.id === '*') return;
  switch (ref.kind) {
    case 'route-table':
      s.routeTable(ref.id);
      return;
    case 'network-interface':
      s.eni(ref.id);
      return;
    case 'instance':
      s.instance(ref.id);
      return;
    case 'elastic-ip':
      s.address(ref.id);
      return;
    case 'subnet':
      s.subnet(ref.id);
      return;
    case 'vpc':
      s.vpc(ref.id);
      return;
    default:
      return;
  }
}
