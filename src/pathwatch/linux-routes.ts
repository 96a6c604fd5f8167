// A failover route in a Linux routing table, through the Linux route action: claim = `ip route replace`,
// release = `ip route del`. The action sees only routes at the same table and metric (the key `replace`
// overwrites), so a primary route at another metric is the propagated route's analogue, not a conflict.
import { RouteAction } from '../actions/linux/route.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../actions/types.js';
import type { LinuxRouteSpec } from './config-schema.js';
import { observationOf, type PathRoutes } from './routes.js';
import type { RouteView } from './types.js';

export class LinuxPathRoutes implements PathRoutes {
  readonly kind = 'linux-route';
  readonly name: string;
  readonly #action: RouteAction;
  readonly #overwrite: boolean;

  constructor(spec: LinuxRouteSpec) {
    const { on_conflict, kind: _kind, ...route } = spec;
    this.#action = new RouteAction({ kind: 'route', ...route });
    this.#overwrite = on_conflict === 'overwrite';
    this.name = this.#action.name;
  }

  async view(ctx: ActionContext): Promise<RouteView> {
    const o = await this.#action.observe(ctx);
    switch (o.target) {
      case 'self':
        return { ours: 1, missing: 0, conflicts: [] };
      case 'none':
        return { ours: 0, missing: 1, conflicts: [] };
      case 'unknown':
        throw new Error(`${o.error.code}: ${o.error.message}`);
      default: {
        const detail = o.target === 'other' ? o.detail : o.target;
        return this.#overwrite
          ? { ours: 0, missing: 1, conflicts: [] }
          : { ours: 0, missing: 0, conflicts: [`${this.name}: the table has ${detail}`] };
      }
    }
  }

  async claim(ctx: ActionContext): Promise<ActionResult> {
    const started = performance.now();
    let v: RouteView;
    try {
      v = await this.view(ctx);
    } catch (err) {
      return failure(started, 'ROUTE_OBSERVE_FAILED', err);
    }
    // `ip route replace` would overwrite a foreign route at this key: only with on_conflict: overwrite.
    if (v.missing === 0) return { ok: true, duration_ms: performance.now() - started, calls: 1 };
    return this.#action.claim(ctx);
  }

  async release(ctx: ActionContext): Promise<ActionResult> {
    const started = performance.now();
    let v: RouteView;
    try {
      v = await this.view(ctx);
    } catch (err) {
      return failure(started, 'ROUTE_OBSERVE_FAILED', err);
    }
    if (v.ours === 0) return { ok: true, duration_ms: performance.now() - started, calls: 1 };
    return this.#action.release(ctx);
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    try {
      return observationOf(await this.view(ctx));
    } catch {
      return this.#action.observe(ctx);
    }
  }

  preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    return this.#action.preflight(ctx);
  }

  close(): void {}
}

function failure(started: number, code: string, err: unknown): ActionResult {
  const message = err instanceof Error ? err.message : String(err);
  return {
    ok: false,
    duration_ms: performance.now() - started,
    calls: 1,
    error: { code, message, retryable: true },
  };
}
