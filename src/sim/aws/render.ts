// Resource → EC2 XML element trees, with exactly the element names the SDK's deserializers read.
import { primaryIp } from './instances.js';
import type { Address, AwsState, Eni, Instance, Route, RouteTable, Subnet, Vpc } from './model.js';
import { instanceOfEni, routeState } from './route-tables.js';
import type { XmlObject } from './xml.js';

const TARGET_ELEMENT: Record<Route['target_kind'], string> = {
  gateway: 'gatewayId',
  'network-interface': 'networkInterfaceId',
  instance: 'instanceId',
  'nat-gateway': 'natGatewayId',
  'transit-gateway': 'transitGatewayId',
  'vpc-peering-connection': 'vpcPeeringConnectionId',
};

function tags(name: string | undefined): XmlObject[] {
  return name === undefined ? [] : [{ key: 'Name', value: name }];
}

export function renderRoute(state: AwsState, r: Route): XmlObject {
  const out: XmlObject = {
    destinationCidrBlock: r.destination,
    [TARGET_ELEMENT[r.target_kind]]: r.target_id,
  };
  const instance = instanceOfEni(state, r);
  if (instance) {
    out.instanceId = instance;
    out.instanceOwnerId = state.data.account_id;
  }
  out.state = routeState(state, r);
  out.origin = r.origin;
  return out;
}

export function renderRouteTable(state: AwsState, t: RouteTable): XmlObject {
  return {
    routeTableId: t.id,
    vpcId: t.vpc_id,
    ownerId: state.data.account_id,
    routeSet: t.routes.map((r) => renderRoute(state, r)),
    associationSet: t.associations.map((a) => ({
      routeTableAssociationId: a.id,
      routeTableId: t.id,
      subnetId: a.subnet_id,
      main: a.main,
      associationState: { state: 'associated' },
    })),
    propagatingVgwSet: t.propagating_vgws.map((g) => ({ gatewayId: g })),
    tagSet: tags(t.name),
  };
}

export function renderEni(state: AwsState, e: Eni): XmlObject {
  const addrs = Object.values(state.data.addresses).filter((a) => a.association?.eni_id === e.id);
  const assoc = (ip: string): XmlObject | undefined => {
    const a = addrs.find((x) => x.association?.private_ip === ip);
    return a?.association
      ? {
          publicIp: a.public_ip,
          allocationId: a.allocation_id,
          associationId: a.association.id,
          ipOwnerId: state.data.account_id,
        }
      : undefined;
  };
  const primary = e.private_ips.find((p) => p.primary)?.ip ?? '';
  return {
    networkInterfaceId: e.id,
    subnetId: e.subnet_id,
    vpcId: e.vpc_id,
    availabilityZone: e.az,
    description: e.description,
    ownerId: state.data.account_id,
    requesterManaged: false,
    status: e.status,
    macAddress: e.mac,
    privateIpAddress: primary,
    sourceDestCheck: e.source_dest_check,
    interfaceType: 'interface',
    groupSet: [],
    attachment: e.attachment
      ? {
          attachmentId: e.attachment.id,
          instanceId: e.attachment.instance_id,
          instanceOwnerId: state.data.account_id,
          deviceIndex: e.attachment.device_index,
          networkCardIndex: 0,
          status: e.attachment.status,
          deleteOnTermination: e.attachment.delete_on_termination,
        }
      : undefined,
    association: assoc(primary),
    privateIpAddressesSet: e.private_ips.map((p) => ({
      privateIpAddress: p.ip,
      primary: p.primary,
      association: assoc(p.ip),
    })),
    tagSet: tags(e.name),
  };
}

export function renderInstance(state: AwsState, i: Instance): XmlObject {
  const running = i.state === 'running';
  return {
    instanceId: i.id,
    imageId: i.image_id,
    instanceState: { code: running ? 16 : 48, name: i.state },
    privateIpAddress: primaryIp(state, i),
    subnetId: i.subnet_id,
    vpcId: i.vpc_id,
    instanceType: i.instance_type,
    placement: { availabilityZone: i.az, tenancy: 'default' },
    sourceDestCheck: state.enisOf(i.id)[0]?.source_dest_check ?? true,
    networkInterfaceSet: state.enisOf(i.id).map((e) => {
      const full = renderEni(state, e);
      return {
        networkInterfaceId: e.id,
        subnetId: e.subnet_id,
        vpcId: e.vpc_id,
        status: e.status,
        macAddress: e.mac,
        privateIpAddress: full.privateIpAddress,
        sourceDestCheck: e.source_dest_check,
        attachment: full.attachment,
        privateIpAddressesSet: full.privateIpAddressesSet,
      };
    }),
    tagSet: tags(i.name),
  };
}

export function renderReservation(state: AwsState, instances: Instance[]): XmlObject {
  return {
    reservationId: `r-${instances[0]?.id.slice(2) ?? '0'}`,
    ownerId: state.data.account_id,
    groupSet: [],
    instancesSet: instances.map((i) => renderInstance(state, i)),
  };
}

export function renderAddress(state: AwsState, a: Address): XmlObject {
  const eni = a.association ? state.data.enis[a.association.eni_id] : undefined;
  return {
    publicIp: a.public_ip,
    allocationId: a.allocation_id,
    domain: 'vpc',
    associationId: a.association?.id,
    networkInterfaceId: a.association?.eni_id,
    networkInterfaceOwnerId: a.association ? state.data.account_id : undefined,
    privateIpAddress: a.association?.private_ip,
    instanceId: eni?.attachment?.instance_id,
    tagSet: tags(a.name),
  };
}

export function renderVpc(v: Vpc): XmlObject {
  return { vpcId: v.id, cidrBlock: v.cidr, state: 'available', isDefault: false, tagSet: tags(v.name) };
}

export function renderSubnet(state: AwsState, s: Subnet): XmlObject {
  return {
    subnetId: s.id,
    vpcId: s.vpc_id,
    cidrBlock: s.cidr,
    availabilityZone: s.az,
    state: 'available',
    ownerId: state.data.account_id,
    tagSet: tags(s.name),
  };
}
