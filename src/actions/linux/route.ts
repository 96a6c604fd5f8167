// Static routes: claim = `ip route replace` (idempotent), release = `ip route del` (absent = done),
// observe = does the route point at our next hop. One action may hold a list of destinations routed the
// same way (a site's routed ranges): claimed, released and observed together.

import { parseCidr } from '../../net/address.js';
import { retrySteps } from '../kit/retry.js';
import type {
  Action,
  ActionContext,
  ActionError,
  ActionResult,
  Observation,
  PreflightCheck,
} from '../types.js';
import { CAP_NET_ADMIN, hasCapability } from './capabilities.js';
import { actionError, ip, ipFailure } from './command.js';
import type { RouteSpec } from './spec.js';

interface RouteEntry {
  readonly dst?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly metric?: number;
}

/** Two spellings of one destination (`10.1.0.0/16`, `default`) are the same route. */
function sameNetwork(a: string, b: string): boolean {
  if (a === b) return true;
  const [x, y] = [parseCidr(a), parseCidr(b)];
  return x.ok && y.ok && x.value.text === y.value.text;
}

/** What the kernel gives an IPv6 route added without a metric. */
const IPV6_DEFAULT_METRIC = 1024;

export class RouteAction implements Action {
  readonly kind = 'route';
  readonly name: string;
  /** What this action routes: one destination, or every one of `destinations`. */
  readonly #destinations: readonly string[];

  constructor(private readonly spec: RouteSpec) {
    this.#destinations = spec.destinations ?? (spec.destination === undefined ? [] : [spec.destination]);
    const what =
      spec.destinations === undefined
        ? (spec.destination ?? '?')
        : `${spec.destinations.length} destination${spec.destinations.length === 1 ? '' : 's'}`;
    this.name = `route ${what}${spec.via ? ` via ${spec.via}` : ''}${spec.dev ? ` dev ${spec.dev}` : ''}`;
  }

  private configError(): ActionError | undefined {
    if (this.spec.via === undefined && this.spec.dev === undefined) {
      return actionError('ROUTE_INVALID', `${this.name}: set "via" (next hop) or "dev" (interface)`, false);
    }
    return undefined;
  }

  private routeArgs(destination: string): string[] {
    const s = this.spec;
    return [
      destination,
      ...(s.via === undefined ? [] : ['via', s.via]),
      ...(s.dev === undefined ? [] : ['dev', s.dev]),
      ...(s.table === undefined ? [] : ['table', String(s.table)]),
      ...(s.metric === undefined ? [] : ['metric', String(s.metric)]),
    ];
  }

  async preflight(_ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    const bad = this.configError();
    const checks: PreflightCheck[] = [
      bad === undefined
        ? { check: `${this.name} is complete`, status: 'ok' }
        : { check: `${this.name} is complete`, status: 'error', detail: bad.message, fix: 'add via or dev' },
    ];
    if (this.spec.dev !== undefined) {
      const link = await ip(this.spec.netns, ['link', 'show', 'dev', this.spec.dev]);
      checks.push({
        check: `interface ${this.spec.dev} exists`,
        status: link.code === 0 ? 'ok' : 'wrong-id',
        ...(link.code === 0 ? {} : { detail: link.stderr.trim(), fix: 'set an interface from `ip link`' }),
      });
    }
    const admin = await hasCapability(CAP_NET_ADMIN);
    checks.push({
      check: 'CAP_NET_ADMIN (change routes)',
      status: admin ? 'ok' : 'missing-permission',
      ...(admin ? {} : { fix: 'run the agent as root or grant it CAP_NET_ADMIN' }),
    });
    return checks;
  }

  async claim(ctx: ActionContext): Promise<ActionResult> {
    const bad = this.configError();
    if (bad !== undefined) return { ok: false, duration_ms: 0, calls: 0, error: bad };
    // Every attempt installs the whole list again: `replace` makes the ones already in place a no-op.
    return retrySteps(ctx, this.name, async () => {
      for (const destination of this.#destinations) {
        const out = await ip(this.spec.netns, ['route', 'replace', ...this.routeArgs(destination)]);
        if (out.code !== 0)
          return { ok: false, error: ipFailure('ROUTE_REPLACE_FAILED', `route ${destination}`, out) };
      }
      return { ok: true };
    });
  }

  /** `other` holds `destination` as this one does: the route `ip route replace` of either would write. */
  private sameRouteAs(other: RouteAction, destination: string): boolean {
    const [a, b] = [this.spec, other.spec];
    return (
      a.via === b.via &&
      a.dev === b.dev &&
      String(a.table ?? '') === String(b.table ?? '') &&
      a.metric === b.metric &&
      a.netns === b.netns &&
      other.#destinations.some((d) => sameNetwork(d, destination))
    );
  }

  async release(ctx: ActionContext): Promise<ActionResult> {
    const bad = this.configError();
    if (bad !== undefined) return { ok: false, duration_ms: 0, calls: 0, error: bad };
    // A range the new list keeps (a managed change of the routed ranges) stays in place: no blink.
    const successors = (ctx.successors ?? []).filter((a): a is RouteAction => a instanceof RouteAction);
    const leaving = this.#destinations.filter((d) => !successors.some((s) => this.sameRouteAs(s, d)));
    return retrySteps(ctx, this.name, async () => {
      for (const destination of leaving) {
        const out = await ip(this.spec.netns, ['route', 'del', ...this.routeArgs(destination)]);
        // ESRCH ("No such process") is iproute2's way of saying the route is not there: done.
        if (out.code !== 0 && !/No such process|Cannot find device/i.test(out.stderr))
          return { ok: false, error: ipFailure('ROUTE_DEL_FAILED', `route ${destination}`, out) };
      }
      return { ok: true };
    });
  }

  /**
   * The whole list as one: ours only when every destination is; one missing is `none` (the arbiter then
   * claims again, which puts back only what is missing); another next hop on any is `other`.
   */
  async observe(ctx: ActionContext): Promise<Observation> {
    let missing = false;
    for (const destination of this.#destinations) {
      const seen = await this.observeOne(ctx, destination);
      if (seen.target === 'unknown' || seen.target === 'other') return seen;
      if (seen.target === 'none') missing = true;
    }
    return missing ? { target: 'none' } : { target: 'self' };
  }

  private async observeOne(_ctx: ActionContext, destination: string): Promise<Observation> {
    const s = this.spec;
    const table = s.table === undefined ? [] : ['table', String(s.table)];
    const out = await ip(s.netns, ['-j', 'route', 'show', ...table, 'exact', destination]);
    if (out.code !== 0)
      return { target: 'unknown', error: ipFailure('ROUTE_OBSERVE_FAILED', `route ${destination}`, out) };
    let routes: RouteEntry[];
    try {
      routes = JSON.parse(out.stdout || '[]') as RouteEntry[];
    } catch {
      return {
        target: 'unknown',
        error: actionError('ROUTE_OBSERVE_FAILED', 'cannot parse `ip -j route`; iproute2 too old?', true),
      };
    }
    // Only the routes `ip route replace` would overwrite share our key: same table, same metric. A route to
    // the same destination at another metric (a primary path under pathwatch's failover route) is not ours.
    const metric = s.metric ?? (destination.includes(':') ? IPV6_DEFAULT_METRIC : 0);
    routes = routes.filter((r) => (r.metric ?? 0) === metric);
    if (routes.length === 0) return { target: 'none' };
    const ours = routes.some(
      (r) => (s.via === undefined || r.gateway === s.via) && (s.dev === undefined || r.dev === s.dev),
    );
    if (ours) return { target: 'self' };
    const first = routes[0];
    // A list names which of its destinations is held elsewhere.
    const which = s.destinations === undefined ? '' : `${destination} `;
    return { target: 'other', detail: `${which}via ${first?.gateway ?? '-'} dev ${first?.dev ?? '-'}` };
  }
}
