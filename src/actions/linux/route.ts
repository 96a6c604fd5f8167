// A static route: claim = `ip route replace` (idempotent), release = `ip route del` (absent = done),
// observe = does the route point at our next hop.

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

/** What the kernel gives an IPv6 route added without a metric. */
const IPV6_DEFAULT_METRIC = 1024;

export class RouteAction implements Action {
  readonly kind = 'route';
  readonly name: string;

  constructor(private readonly spec: RouteSpec) {
    this.name = `route ${spec.destination}${spec.via ? ` via ${spec.via}` : ''}${spec.dev ? ` dev ${spec.dev}` : ''}`;
  }

  private configError(): ActionError | undefined {
    if (this.spec.via === undefined && this.spec.dev === undefined) {
      return actionError('ROUTE_INVALID', `${this.name}: set "via" (next hop) or "dev" (interface)`, false);
    }
    return undefined;
  }

  private routeArgs(): string[] {
    const s = this.spec;
    return [
      s.destination,
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
    return retrySteps(ctx, this.name, async () => {
      const out = await ip(this.spec.netns, ['route', 'replace', ...this.routeArgs()]);
      return out.code === 0
        ? { ok: true }
        : { ok: false, error: ipFailure('ROUTE_REPLACE_FAILED', this.name, out) };
    });
  }

  async release(ctx: ActionContext): Promise<ActionResult> {
    const bad = this.configError();
    if (bad !== undefined) return { ok: false, duration_ms: 0, calls: 0, error: bad };
    return retrySteps(ctx, this.name, async () => {
      const out = await ip(this.spec.netns, ['route', 'del', ...this.routeArgs()]);
      // ESRCH ("No such process") is iproute2's way of saying the route is not there: done.
      if (out.code === 0 || /No such process|Cannot find device/i.test(out.stderr)) return { ok: true };
      return { ok: false, error: ipFailure('ROUTE_DEL_FAILED', this.name, out) };
    });
  }

  async observe(_ctx: ActionContext): Promise<Observation> {
    const s = this.spec;
    const table = s.table === undefined ? [] : ['table', String(s.table)];
    const out = await ip(s.netns, ['-j', 'route', 'show', ...table, 'exact', s.destination]);
    if (out.code !== 0)
      return { target: 'unknown', error: ipFailure('ROUTE_OBSERVE_FAILED', this.name, out) };
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
    const metric = s.metric ?? (s.destination.includes(':') ? IPV6_DEFAULT_METRIC : 0);
    routes = routes.filter((r) => (r.metric ?? 0) === metric);
    if (routes.length === 0) return { target: 'none' };
    const ours = routes.some(
      (r) => (s.via === undefined || r.gateway === s.via) && (s.dev === undefined || r.dev === s.dev),
    );
    if (ours) return { target: 'self' };
    const first = routes[0];
    return { target: 'other', detail: `via ${first?.gateway ?? '-'} dev ${first?.dev ?? '-'}` };
  }
}
