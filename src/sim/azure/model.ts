// The simulated Azure network state: NICs, route tables, subnets, VMs and long-running operations (JSON-able).
import { contains, parseCidr } from '../cidr.js';
import type { Clock } from '../clock.js';
import { SimError } from '../errors.js';
import type { Random } from '../random.js';

export type ProvisioningState = 'Succeeded' | 'Creating' | 'Updating' | 'Deleting' | 'Failed';

export interface IpConfiguration {
  name: string;
  private_ip: string;
  allocation: 'Static' | 'Dynamic';
  primary: boolean;
  subnet_id: string;
  public_ip_id: string | undefined;
  etag: string;
}

export interface Nic {
  id: string;
  name: string;
  location: string;
  etag: string;
  resource_guid: string;
  /** ARM's format: `00-0D-3A-1B-C7-21`. */
  mac: string;
  enable_ip_forwarding: boolean;
  primary: boolean;
  vm_id: string | undefined;
  nsg_id: string | undefined;
  ip_configurations: IpConfiguration[];
  provisioning_state: ProvisioningState;
  operation_id: string | undefined;
  /** Addresses removed by the running update: still allocated to this NIC until it completes. */
  releasing_ips: string[];
  /** The configuration to restore if the running update fails. */
  previous: IpConfiguration[] | undefined;
}

export interface AzureRoute {
  id: string;
  name: string;
  etag: string;
  address_prefix: string;
  next_hop_type: string;
  next_hop_ip: string | undefined;
  provisioning_state: ProvisioningState;
  operation_id: string | undefined;
  /** What the data plane uses: the last configuration whose operation succeeded (none before the first). */
  applied: AppliedRoute | undefined;
}

export interface AppliedRoute {
  address_prefix: string;
  next_hop_type: string;
  next_hop_ip: string | undefined;
}

export function appliedOf(r: AzureRoute): AppliedRoute {
  return { address_prefix: r.address_prefix, next_hop_type: r.next_hop_type, next_hop_ip: r.next_hop_ip };
}

export interface AzureRouteTable {
  id: string;
  name: string;
  location: string;
  etag: string;
  resource_guid: string;
  disable_bgp_route_propagation: boolean;
  routes: AzureRoute[];
  subnet_ids: string[];
  provisioning_state: ProvisioningState;
  operation_id: string | undefined;
}

export interface AzureSubnet {
  id: string;
  name: string;
  cidr: string;
}

export interface AzureVm {
  id: string;
  name: string;
  location: string;
  vm_uuid: string;
  identity: string | undefined;
  nic_ids: string[];
}

export type OperationKind = 'nic-write' | 'route-write' | 'route-delete' | 'route-table-write';

export interface Operation {
  id: string;
  kind: OperationKind;
  /** ARM id of the resource being changed. */
  target_id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  start_ms: number;
  done_at_ms: number;
  fail: boolean;
  error: { code: string; message: string } | undefined;
}

export interface AzureData {
  subscription_id: string;
  tenant_id: string;
  resource_group: string;
  location: string;
  /** How long a NIC write stays `Updating` (Azure documents up to 120 s). */
  nic_update_delay_ms: number;
  route_update_delay_ms: number;
  /** Retry-After announced on LRO responses; null sends none (the SDK then polls at its own interval). */
  lro_retry_after_s: number | null;
  subnets: Record<string, AzureSubnet>;
  nics: Record<string, Nic>;
  route_tables: Record<string, AzureRouteTable>;
  vms: Record<string, AzureVm>;
  operations: Record<string, Operation>;
}

export function emptyAzureData(): AzureData {
  return {
    subscription_id: '00000000-0000-4000-8000-000000000001',
    tenant_id: '00000000-0000-4000-8000-0000000000aa',
    resource_group: 'tandem-rg',
    location: 'westeurope',
    nic_update_delay_ms: 5000,
    route_update_delay_ms: 1000,
    lro_retry_after_s: 1,
    subnets: {},
    nics: {},
    route_tables: {},
    vms: {},
    operations: {},
  };
}

/** ARM ids are case-insensitive: every map is keyed by the lower-cased id. */
export const key = (id: string): string => id.toLowerCase();

export function armError(status: number, code: string, message: string): SimError {
  return new SimError(status, code, message);
}

export class AzureState {
  constructor(
    public data: AzureData,
    readonly clock: Clock,
    private readonly random: Random,
  ) {}

  guid(): string {
    const h = this.random.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  etag(): string {
    return `W/"${this.guid()}"`;
  }

  newMac(): string {
    const bytes = [
      0x00,
      0x0d,
      0x3a,
      ...Array.from({ length: 3 }, () => Math.floor(this.random.next() * 256)),
    ];
    return bytes.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('-');
  }

  rgId(resource_group = this.data.resource_group): string {
    return `/subscriptions/${this.data.subscription_id}/resourceGroups/${resource_group}`;
  }

  nic(id: string): Nic | undefined {
    this.settle();
    return this.data.nics[key(id)];
  }

  routeTable(id: string): AzureRouteTable | undefined {
    this.settle();
    return this.data.route_tables[key(id)];
  }

  /** Completes every operation whose time has come (read lazily, so there are no timers to clean up). */
  settle(): void {
    const now = this.clock.now_ms();
    for (const op of Object.values(this.data.operations)) {
      if (op.status === 'InProgress' && op.done_at_ms <= now) this.complete(op);
    }
  }

  private complete(op: Operation): void {
    op.status = op.fail ? 'Failed' : 'Succeeded';
    if (op.fail)
      op.error = { code: 'InternalServerError', message: 'An error occurred (injected operation failure).' };
    const k = key(op.target_id);
    if (op.kind === 'nic-write') {
      const nic = this.data.nics[k];
      if (nic?.operation_id !== op.id) return;
      if (op.fail && nic.previous) nic.ip_configurations = nic.previous;
      nic.provisioning_state = op.fail ? 'Failed' : 'Succeeded';
      for (const c of nic.ip_configurations) c.etag = nic.etag;
      nic.operation_id = undefined;
      nic.releasing_ips = [];
      nic.previous = undefined;
      return;
    }
    if (op.kind === 'route-table-write') {
      const table = this.data.route_tables[k];
      if (table?.operation_id !== op.id) return;
      table.provisioning_state = op.fail ? 'Failed' : 'Succeeded';
      table.operation_id = undefined;
      for (const r of table.routes) {
        r.provisioning_state = table.provisioning_state;
        if (!op.fail) r.applied = appliedOf(r);
      }
      return;
    }
    const tableId = op.target_id.replace(/\/routes\/[^/]+$/i, '');
    const table = this.data.route_tables[key(tableId)];
    const route = table?.routes.find((r) => key(r.id) === k);
    if (!table || !route || route.operation_id !== op.id) return;
    route.operation_id = undefined;
    if (op.kind === 'route-delete' && !op.fail) table.routes.splice(table.routes.indexOf(route), 1);
    else {
      route.provisioning_state = op.fail ? 'Failed' : 'Succeeded';
      if (!op.fail) route.applied = appliedOf(route);
    }
  }

  /** The NIC that holds `ip` (in its configuration, or still releasing it), other than `except`. */
  holderOf(ip: string, except?: string): Nic | undefined {
    this.settle();
    return Object.values(this.data.nics).find(
      (n) =>
        key(n.id) !== (except ? key(except) : '') &&
        (n.ip_configurations.some((c) => c.private_ip === ip) || n.releasing_ips.includes(ip)),
    );
  }

  /** The NIC that serves `ip` on the data plane: configured and not in the middle of an update. */
  ipOwner(ip: string): Nic | undefined {
    this.settle();
    return Object.values(this.data.nics).find(
      (n) => n.operation_id === undefined && n.ip_configurations.some((c) => c.private_ip === ip),
    );
  }

  /** Where a route table sends `ip` on the data plane: longest prefix among routes whose writes completed. */
  effectiveRoute(table_id: string, ip: string): (AppliedRoute & { name: string }) | undefined {
    const table = this.routeTable(table_id);
    let best: (AppliedRoute & { name: string }) | undefined;
    let bestBits = -1;
    for (const r of table?.routes ?? []) {
      const cidr = r.applied ? parseCidr(r.applied.address_prefix) : undefined;
      if (!r.applied || !cidr || !contains(cidr, ip) || cidr.bits <= bestBits) continue;
      best = { name: r.name, ...r.applied };
      bestBits = cidr.bits;
    }
    return best;
  }

  vanish(id: string): boolean {
    const k = key(id);
    for (const map of [this.data.nics, this.data.route_tables, this.data.vms, this.data.subnets] as Record<
      string,
      unknown
    >[]) {
      if (map[k]) {
        delete map[k];
        return true;
      }
    }
    for (const table of Object.values(this.data.route_tables)) {
      const i = table.routes.findIndex((r) => key(r.id) === k);
      if (i >= 0) {
        table.routes.splice(i, 1);
        return true;
      }
    }
    return false;
  }
}
