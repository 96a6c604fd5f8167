// The /_sim control API over HTTP: the same operations as the in-process API, behind an admin token.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Value } from '@sinclair/typebox/value';
import { isSimError, SimError } from './errors.js';
import { validateRule } from './faults.js';
import { sendJson } from './http.js';
import type { CloudName } from './recorder.js';
import { StatementSchema } from './scenario-schema.js';
import type { SimControl } from './state-api.js';

function authorized(header: string | undefined, admin_token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer /i, '') ?? '');
  const want = Buffer.from(admin_token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function json(body: string): unknown {
  try {
    return body === '' ? {} : JSON.parse(body);
  } catch {
    throw new SimError(400, 'InvalidJson', 'the request body is not valid JSON');
  }
}

function field(obj: unknown, name: string): string {
  const v = (obj as Record<string, unknown> | null)?.[name];
  if (typeof v !== 'string' || v === '')
    throw new SimError(400, 'MissingField', `'${name}' must be a non-empty string`);
  return v;
}

export async function handleControl(
  sim: SimControl,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  if (!authorized(req.headers.authorization, sim.admin_token)) {
    sendJson(res, 401, {
      error: {
        code: 'Unauthorized',
        message: 'the control API needs Authorization: Bearer <admin token> (printed by tandem sim)',
      },
    });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://sim');
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  const q = url.searchParams;
  try {
    const out = await dispatch(sim, route, q, body);
    if (out === undefined) throw new SimError(404, 'NotFound', `no control route ${route}; see docs/sim.md`);
    sendJson(res, 200, out);
  } catch (e) {
    const err = isSimError(e) ? e : new SimError(500, 'InternalError', (e as Error).message);
    sendJson(res, err.status, { error: { code: err.code, message: err.message } });
  }
}

async function dispatch(sim: SimControl, route: string, q: URLSearchParams, body: string): Promise<unknown> {
  switch (route) {
    case 'GET /_sim/calls': {
      const since = q.get('since_seq');
      return {
        calls: sim.calls.list({
          ...(since ? { since_seq: Number(since) } : {}),
          ...(q.get('action') ? { action: q.get('action')! } : {}),
          ...(q.get('cloud') ? { cloud: q.get('cloud') as CloudName } : {}),
          ...(q.get('identity') ? { identity: q.get('identity')! } : {}),
        }),
      };
    }
    case 'DELETE /_sim/calls':
      sim.calls.clear();
      return { ok: true };
    case 'GET /_sim/faults':
      return { faults: sim.faults.list() };
    case 'POST /_sim/faults': {
      const input = json(body);
      const rules = (Array.isArray(input) ? input : [input]).map(validateRule);
      for (const rule of rules) sim.faults.set(rule);
      return { faults: sim.faults.list() };
    }
    case 'DELETE /_sim/faults':
      sim.faults.clear(q.get('action') ?? undefined);
      return { faults: sim.faults.list() };
    case 'POST /_sim/vanish': {
      const id = field(json(body), 'id');
      if (!sim.vanish(id)) throw new SimError(404, 'NotFound', `no resource with id '${id}'`);
      return { ok: true };
    }
    case 'GET /_sim/state':
      return sim.snapshot();
    case 'POST /_sim/snapshot':
      return { file: await sim.saveSnapshot() };
    case 'POST /_sim/aws/propagate': {
      const b = json(body);
      sim.state.propagate(field(b, 'route_table_id'), field(b, 'destination'), field(b, 'vgw_id'));
      return { ok: true };
    }
    case 'POST /_sim/aws/withdraw': {
      const b = json(body);
      sim.state.withdraw(field(b, 'route_table_id'), field(b, 'destination'));
      return { ok: true };
    }
    case 'GET /_sim/aws/effective-route':
      return {
        route:
          sim.state.effectiveRoute(
            field(Object.fromEntries(q), 'route_table_id'),
            field(Object.fromEntries(q), 'ip'),
          ) ?? null,
      };
    case 'GET /_sim/azure/effective-route': {
      const p = Object.fromEntries(q);
      return { route: sim.state.azureEffectiveRoute(field(p, 'route_table'), field(p, 'ip')) ?? null };
    }
    case 'GET /_sim/azure/ip-owner':
      return { nic_id: sim.state.ipOwner(field(Object.fromEntries(q), 'ip')) ?? null };
    case 'GET /_sim/settings':
      return sim.settings();
    case 'PUT /_sim/settings':
      return sim.settings(json(body) as Record<string, number>);
    case 'POST /_sim/azure/token': {
      const b = json(body);
      return { access_token: sim.azureToken(field(b, 'identity')) };
    }
    default: {
      const m = /^PUT \/_sim\/identities\/([^/]+)\/policy$/.exec(route);
      if (!m) return undefined;
      const policy = json(body);
      if (!Array.isArray(policy) || !policy.every((s) => Value.Check(StatementSchema, s))) {
        throw new SimError(
          400,
          'InvalidPolicy',
          'the body must be a list of { actions: [..], resources: [..] }',
        );
      }
      sim.iam.setPolicy(decodeURIComponent(m[1]!), policy);
      return { ok: true };
    }
  }
}
