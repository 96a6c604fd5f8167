// User-defined routes to the backup appliance (the VPN) in Azure route tables. A UDR beats the ExpressRoute
// gateway's BGP route for the same prefix (CLOUD.md §2.5); deleting ours hands the traffic back to BGP. The
// reads and writes are the azure-route-table driver's (src/actions/azure/route-table.ts); this only picks
// which routes to write: missing ones, and a foreign one only with `on_conflict: overwrite`.

import { toActionError } from '../actions/azure/errors.js';
import { ROUTE_DELETE, ROUTE_WRITE } from '../actions/azure/role.js';
import { AzureRouteTableAction, type SlotReading } from '../actions/azure/route-table.js';
import type { AzureContext } from '../actions/azure/session.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../actions/types.js';
import type { AzureRouteSpec } from './config-schema.js';
import { observationOf, type PathRoutes } from './routes.js';
import type { RouteView } from './types.js';

export type AzureRoutesContext = AzureContext;

export class AzurePathRoutes implements PathRoutes {
  readonly kind = 'azure-route-table';
  readonly name: string;
  readonly #driver: AzureRouteTableAction;
  readonly #next_hop: string;
  readonly #overwrite: boolean;

  constructor(spec: AzureRouteSpec, ctx: AzureRoutesContext) {
    const { kind, destinations, on_conflict, ...where } = spec;
    this.#next_hop = spec.next_hop;
    this.#overwrite = on_conflict === 'overwrite';
    this.name = `${kind} ${spec.route_tables.join(',')} ${destinations.join(',')} → ${spec.next_hop}`;
    this.#driver = new AzureRouteTableAction({ kind, prefixes: destinations, ...where }, ctx);
  }

  /** Ours: at the appliance and applied. A route at our appliance still updating (or failed) is ours to write. */
  #mine(r: SlotReading): boolean {
    return r.next_hop === this.#next_hop;
  }

  #wanted(r: SlotReading): boolean {
    return r.target === 'none' || (r.target !== 'self' && (this.#overwrite || this.#mine(r)));
  }

  async view(ctx: ActionContext): Promise<RouteView> {
    const readings = await this.#driver.readings(ctx);
    return {
      ours: readings.filter((r) => r.target === 'self').length,
      missing: readings.filter((r) => this.#wanted(r)).length,
      conflicts: readings
        .filter((r) => r.target !== 'self' && !this.#wanted(r))
        .map((r) => `${r.slot.table} ${r.slot.prefix} → ${r.seen}`),
    };
  }

  /** Failover: write the missing routes (a foreign one only with overwrite); the driver reads them back. */
  claim(ctx: ActionContext): Promise<ActionResult> {
    return this.#driver.write(ctx, (r) => this.#wanted(r));
  }

  /** Failback: delete only the routes at our appliance; BGP's route carries the traffic again. */
  release(ctx: ActionContext): Promise<ActionResult> {
    return this.#driver.remove(ctx, (r) => this.#mine(r));
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      return observationOf(await this.view(ctx));
    } catch (err) {
      return { target: 'unknown', error: toActionError(err) };
    }
  }

  /** Discovery, every table readable, and the route read/write/delete permissions at the resource group. */
  preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    return this.#driver.preflightWith(ctx, { writes: [...ROUTE_WRITE, ROUTE_DELETE], own_forwarding: false });
  }

  close(): void {
    this.#driver.close();
  }
}
