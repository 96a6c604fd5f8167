// The simulated EC2 state: plain JSON-able records (so a snapshot is JSON.stringify) plus lookups and settling.
import type { Clock } from '../clock.js';
import { SimError } from '../errors.js';
import type { Random } from '../random.js';
import { ReadLag } from './lag.js';

export type RouteOrigin = 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';
export type TargetKind =
  | 'gateway'
  | 'network-interface'
  | 'instance'
  | 'nat-gateway'
  | 'transit-gateway'
  | 'vpc-peering-connection';

export interface Route {
  destination: string;
  target_kind: TargetKind;
  target_id: string;
  origin: RouteOrigin;
}

export interface Association {
  id: string;
  subnet_id: string | undefined;
  main: boolean;
}

export interface RouteTable {
  id: string;
  vpc_id: string;
  name: string | undefined;
  associations: Association[];
  propagating_vgws: string[];
  routes: Route[];
}

export interface Vpc {
  id: string;
  cidr: string;
  name: string | undefined;
}

export interface Subnet {
  id: string;
  vpc_id: string;
  cidr: string;
  az: string;
  name: string | undefined;
}

export type EniStatus = 'available' | 'attaching' | 'in-use' | 'detaching';
export type AttachmentStatus = 'attaching' | 'attached' | 'detaching' | 'detached';

export interface Attachment {
  id: string;
  instance_id: string;
  device_index: number;
  status: AttachmentStatus;
  delete_on_termination: boolean;
  /** When the attaching/detaching transition completes. */
  until_ms: number | undefined;
}

export interface PrivateIp {
  ip: string;
  primary: boolean;
}

export interface Eni {
  id: string;
  subnet_id: string;
  vpc_id: string;
  az: string;
  mac: string;
  description: string;
  name: string | undefined;
  private_ips: PrivateIp[];
  source_dest_check: boolean;
  status: EniStatus;
  attachment: Attachment | undefined;
}

export interface Instance {
  id: string;
  name: string | undefined;
  subnet_id: string;
  vpc_id: string;
  az: string;
  image_id: string;
  instance_type: string;
  state: 'running' | 'terminated';
  /** The identity whose credentials the instance's metadata hands out. */
  identity: string | undefined;
  /** Device indexes left unusable by a forced detach until stop/start. */
  stale_device_indexes: number[];
  /** ENIs force-detached that the instance's metadata keeps showing. */
  ghost_enis: string[];
}

export interface Address {
  allocation_id: string;
  public_ip: string;
  name: string | undefined;
  association: { id: string; eni_id: string; private_ip: string } | undefined;
}

export interface AwsData {
  region: string;
  account_id: string;
  attach_delay_ms: number;
  detach_delay_ms: number;
  /** How long Describe calls keep showing a resource as it was before a change (0: read-after-write). */
  read_lag_ms: number;
  vpcs: Record<string, Vpc>;
  subnets: Record<string, Subnet>;
  route_tables: Record<string, RouteTable>;
  enis: Record<string, Eni>;
  instances: Record<string, Instance>;
  addresses: Record<string, Address>;
  /** igw-, vgw-, nat-, tgw-, pcx- ids that exist; a route to a missing one is a blackhole. */
  gateways: string[];
}

export function emptyAwsData(region = 'us-east-1', account_id = '123456789012'): AwsData {
  return {
    region,
    account_id,
    attach_delay_ms: 1000,
    detach_delay_ms: 1000,
    read_lag_ms: 0,
    vpcs: {},
    subnets: {},
    route_tables: {},
    enis: {},
    instances: {},
    addresses: {},
    gateways: [],
  };
}

const NOT_FOUND: Record<string, [string, string]> = {
  vpc: ['InvalidVpcID.NotFound', 'vpc'],
  subnet: ['InvalidSubnetID.NotFound', 'subnet'],
  'route-table': ['InvalidRouteTableID.NotFound', 'routeTable'],
  'network-interface': ['InvalidNetworkInterfaceID.NotFound', 'networkInterface'],
  instance: ['InvalidInstanceID.NotFound', 'instance'],
  allocation: ['InvalidAllocationID.NotFound', 'allocation'],
};

export function notFound(kind: keyof typeof NOT_FOUND, id: string): SimError {
  const [code, noun] = NOT_FOUND[kind] ?? ['InvalidID.NotFound', kind];
  return new SimError(400, code, `The ${noun} ID '${id}' does not exist`);
}

export function invalid(message: string): SimError {
  return new SimError(400, 'InvalidParameterValue', message);
}

export class AwsState {
  /** ENIs in an attaching/detaching transition, so settling costs nothing when there are none. */
  private transitions = 0;

  readonly lag = new ReadLag();

  constructor(
    public data: AwsData,
    readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.transitions = Object.values(data.enis).filter((e) => e.attachment?.until_ms !== undefined).length;
  }

  newId(prefix: string): string {
    return `${prefix}-${this.random.hex(17)}`;
  }

  newMac(): string {
    const bytes = [0x0e, ...Array.from({ length: 5 }, () => Math.floor(this.random.next() * 256))];
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
  }

  arn(kind: string, id: string): string {
    return `arn:aws:ec2:${this.data.region}:${this.data.account_id}:${kind}/${id}`;
  }

  vpc(id: string): Vpc {
    const v = this.data.vpcs[id];
    if (!v) throw notFound('vpc', id);
    return v;
  }

  subnet(id: string): Subnet {
    const s = this.data.subnets[id];
    if (!s) throw notFound('subnet', id);
    return s;
  }

  routeTable(id: string): RouteTable {
    const t = this.data.route_tables[id];
    if (!t) throw notFound('route-table', id);
    return t;
  }

  eni(id: string): Eni {
    this.settle();
    const e = this.data.enis[id];
    if (!e) throw notFound('network-interface', id);
    return e;
  }

  instance(id: string): Instance {
    const i = this.data.instances[id];
    if (!i) throw notFound('instance', id);
    return i;
  }

  address(allocation_id: string): Address {
    const a = this.data.addresses[allocation_id];
    if (!a) throw notFound('allocation', allocation_id);
    return a;
  }

  enisOf(instance_id: string): Eni[] {
    this.settle();
    return Object.values(this.data.enis)
      .filter((e) => e.attachment?.instance_id === instance_id)
      .sort((a, b) => (a.attachment?.device_index ?? 0) - (b.attachment?.device_index ?? 0));
  }

  /** Starts an attach/detach transition that completes after `delay_ms` (read lazily, so no timers). */
  beginTransition(eni: Eni, delay_ms: number): void {
    if (!eni.attachment) return;
    if (delay_ms <= 0) {
      this.complete(eni);
      return;
    }
    if (eni.attachment.until_ms === undefined) this.transitions++;
    eni.attachment.until_ms = this.clock.now_ms() + delay_ms;
  }

  /** Completes every transition whose time has come. */
  settle(): void {
    if (this.transitions === 0) return;
    const now = this.clock.now_ms();
    for (const eni of Object.values(this.data.enis)) {
      const until = eni.attachment?.until_ms;
      if (until !== undefined && until <= now) {
        this.transitions--;
        this.complete(eni);
      }
    }
  }

  private complete(eni: Eni): void {
    const att = eni.attachment;
    if (!att) return;
    att.until_ms = undefined;
    if (att.status === 'attaching') {
      att.status = 'attached';
      eni.status = 'in-use';
    } else if (att.status === 'detaching') {
      eni.attachment = undefined;
      eni.status = 'available';
    }
  }

  /** Removes a resource as if someone deleted it outside tandem; routes pointing at it become blackholes. */
  vanish(id: string): boolean {
    const d = this.data;
    if (d.enis[id]) {
      const eni = d.enis[id];
      if (eni.attachment?.until_ms !== undefined) this.transitions--;
      for (const a of Object.values(d.addresses)) if (a.association?.eni_id === id) a.association = undefined;
      delete d.enis[id];
      return true;
    }
    if (d.instances[id]) {
      d.instances[id].state = 'terminated';
      for (const eni of this.enisOf(id)) {
        if (eni.attachment?.delete_on_termination) this.vanish(eni.id);
        else {
          eni.attachment = undefined;
          eni.status = 'available';
        }
      }
      return true;
    }
    for (const key of ['route_tables', 'subnets', 'vpcs', 'addresses'] as const) {
      if (d[key][id]) {
        delete d[key][id];
        return true;
      }
    }
    const g = d.gateways.indexOf(id);
    if (g >= 0) {
      d.gateways.splice(g, 1);
      return true;
    }
    return false;
  }

  /** Every private address in use in a subnet, with the ENI holding it. */
  addressesIn(subnet_id: string): Map<string, string> {
    const used = new Map<string, string>();
    for (const eni of Object.values(this.data.enis)) {
      if (eni.subnet_id !== subnet_id) continue;
      for (const p of eni.private_ips) used.set(p.ip, eni.id);
    }
    return used;
  }
}
