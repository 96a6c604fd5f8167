// The in-process view of the simulator that tests, the lab and benches use; the control API calls the same methods.
import type { AwsState, Eni, Instance, RouteTable } from './aws/model.js';
import { effectiveRoute, propagateRoute, routeState, withdrawRoute } from './aws/route-tables.js';
import { type AzureRouteTable, type AzureState, key, type Nic } from './azure/model.js';
import type { Faults } from './faults.js';
import type { Iam, Identity } from './iam.js';
import type { Recorder } from './recorder.js';
import type { SimSettings } from './settings.js';

export interface RouteView {
  destination: string;
  target_kind: string;
  target_id: string;
  origin: string;
  state: 'active' | 'blackhole';
}

export class SimState {
  constructor(
    readonly aws: AwsState,
    readonly azure: AzureState,
  ) {}

  /** An EC2 route table with each route's current state (active / blackhole). */
  routeTable(id: string): RouteTable & { route_views: RouteView[] } {
    const t = this.aws.routeTable(id);
    return { ...t, route_views: t.routes.map((r) => ({ ...r, state: routeState(this.aws, r) })) };
  }

  eni(id: string): Eni {
    return this.aws.eni(id);
  }

  instance(id: string): Instance {
    return this.aws.instance(id);
  }

  /** Finds an EC2 resource id by its Name tag (scenario names), e.g. `idOf('node-a-lan')`. */
  idOf(name: string): string | undefined {
    const d = this.aws.data;
    for (const map of [d.enis, d.instances, d.route_tables, d.subnets, d.vpcs] as Record<
      string,
      { id: string; name: string | undefined }
    >[]) {
      const hit = Object.values(map).find((x) => x.name === name);
      if (hit) return hit.id;
    }
    return Object.values(d.addresses).find((a) => a.name === name)?.allocation_id;
  }

  propagate(route_table_id: string, destination: string, vgw_id: string): void {
    propagateRoute(this.aws, route_table_id, destination, vgw_id);
  }

  withdraw(route_table_id: string, destination: string): void {
    withdrawRoute(this.aws, route_table_id, destination);
  }

  effectiveRoute(route_table_id: string, ip: string): RouteView | undefined {
    const e = effectiveRoute(this.aws, route_table_id, ip);
    return e ? { ...e.route, state: e.state } : undefined;
  }

  /** An Azure NIC by ARM id or by name. */
  nic(idOrName: string): Nic | undefined {
    this.azure.settle();
    const d = this.azure.data;
    return d.nics[key(idOrName)] ?? Object.values(d.nics).find((n) => n.name === idOrName);
  }

  azureRouteTable(idOrName: string): AzureRouteTable | undefined {
    this.azure.settle();
    const d = this.azure.data;
    return d.route_tables[key(idOrName)] ?? Object.values(d.route_tables).find((t) => t.name === idOrName);
  }

  /** Where an Azure route table sends `ip` now: only completed route writes count. */
  azureEffectiveRoute(
    table: string,
    ip: string,
  ): { name: string; next_hop_type: string; next_hop_ip: string | undefined } | undefined {
    const t = this.azureRouteTable(table);
    return t ? this.azure.effectiveRoute(t.id, ip) : undefined;
  }

  /** Which NIC serves an Azure private IP on the data plane right now (none while it is being moved). */
  ipOwner(ip: string): string | undefined {
    return this.azure.ipOwner(ip)?.id;
  }
}

export interface SimSnapshot {
  version: 1;
  aws: AwsState['data'];
  azure: AzureState['data'];
  identities: Identity[];
}

/** What the control API needs from the running simulator. */
export interface SimControl {
  admin_token: string;
  state: SimState;
  faults: Faults;
  calls: Recorder;
  iam: Iam;
  vanish(id: string): boolean;
  snapshot(): SimSnapshot;
  saveSnapshot(): Promise<string>;
  azureToken(identity: string, resource?: string): string;
  /** Reads or changes timing settings; `{}` only reads. */
  settings(input?: SimSettings): Required<SimSettings>;
}
