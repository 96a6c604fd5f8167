// The quick body check (TypeBox in front of Ajv) decides exactly as Ajv alone does: thousands of
// seeded random and boundary variants of a report, each judged both ways, and the errors of a refused
// body are Ajv's own. Schemas where TypeBox could be more lenient than Ajv are left to Ajv.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import {
  type BodyValidator,
  quickCheckable,
  validators,
  withQuickCheck,
} from '../../src/controller/quick-check.js';
import { REPORT_ROUTE } from '../../src/controller/routes/agents.js';
import { NodeParams, Report } from '../../src/controller/schema.js';

function ajvFor(schema: unknown): BodyValidator {
  const build = AjvCompiler();
  const strict = build({}, { customOptions: { removeAdditional: false, coerceTypes: false } });
  return strict({ schema, method: 'POST', url: '/x', httpPart: 'body' }) as BodyValidator;
}

/** A small seeded generator (mulberry32): the same variants on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = {
  id: 'r-1',
  state: 'active',
  wan_ok: true,
  hears_peer: false,
  version: '1.4.2',
  indicators: { connected: true, keepalive: true, same_version: true },
  wan: [{ name: 'wan1', up: true }],
  last_keepalive_at: 1_700_000_000_000,
  action_results: [],
  progress: [],
};

const ODD_VALUES: unknown[] = [
  null,
  true,
  'false',
  '',
  'x'.repeat(64),
  'x'.repeat(65),
  '😀'.repeat(33),
  '😀'.repeat(64),
  '\ud800',
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 53),
  1e308,
  [],
  ['active'],
  {},
  { __proto__: null, a: 1 },
  '1.4.2',
  'v1.4.2',
  '１.2.3',
];

/** Replaces, removes or adds one value somewhere in a copy of `body`. */
function mutate(body: unknown, next: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  let target: Record<string, unknown> = copy;
  // Walk down a few levels into objects and arrays.
  for (let depth = 0; depth < 3; depth++) {
    const keys = Object.keys(target).filter((k) => typeof target[k] === 'object' && target[k] !== null);
    if (keys.length === 0 || next() < 0.4) break;
    target = target[pick(keys)] as Record<string, unknown>;
  }
  const keys = Object.keys(target);
  const roll = next();
  if (roll < 0.6 && keys.length > 0) target[pick(keys)] = pick(ODD_VALUES);
  else if (roll < 0.8 && keys.length > 0) delete target[pick(keys)];
  else if (Array.isArray(target)) target.push(pick(ODD_VALUES));
  else target[pick(['extra', '__proto__', 'constructor', 'id'])] = pick(ODD_VALUES);
  // Through JSON text, as a request body arrives ("__proto__" becomes an own key).
  return JSON.parse(JSON.stringify(copy).replace('"extra"', next() < 0.3 ? '"__proto__"' : '"extra"'));
}

describe('the quick body check', () => {
  test('the report schema is quick-checkable; schemas where TypeBox could be laxer are not', () => {
    assert.equal(quickCheckable(Report), true);
    assert.equal(quickCheckable(Type.Object({ n: Type.Integer({ default: 1 }) })), false);
    assert.equal(quickCheckable(Type.Object({ m: Type.String({ format: 'email' }) })), false);
    assert.equal(quickCheckable(Type.Object({ s: Type.String({ minLength: 2 }) })), false);
    assert.equal(quickCheckable(Type.Object({ s: Type.String({ pattern: '^..$' }) })), false);
    assert.equal(quickCheckable(Type.Object({ s: Type.String({ pattern: '^\\d+\\.\\d+$' }) })), true);
  });

  test('decides every variant of a report exactly as Ajv, with Ajv’s errors', () => {
    const ajv = ajvFor(Report);
    const quick = withQuickCheck(Report, ajvFor(Report));
    assert.notEqual(quick, ajv, 'the quick path is in front');
    const next = random(14);
    let refused = 0;
    let body: unknown = VALID;
    for (let i = 0; i < 5000; i++) {
      // Mostly one change from the valid body, sometimes several piled up.
      body = mutate(next() < 0.7 ? VALID : body, next);
      const expected = ajv(body);
      const expectedErrors = ajv.errors;
      assert.equal(quick(body), expected, JSON.stringify(body));
      if (!expected) {
        refused++;
        assert.deepEqual(quick.errors, expectedErrors, JSON.stringify(body));
      }
    }
    // Both kinds were tried in numbers.
    assert.ok(refused > 1000 && refused < 4900, `refused ${refused} of 5000`);
  });

  test('a length Ajv counts in code points: the quick check defers to Ajv', () => {
    const schema = Type.Object({ s: Type.String({ maxLength: 3 }) });
    const quick = withQuickCheck(schema, ajvFor(schema));
    // Three code points, six UTF-16 units: TypeBox alone would refuse it, Ajv accepts it.
    assert.equal(quick({ s: '😀😀😀' }), true);
    assert.equal(quick({ s: '😀😀😀😀' }), false);
  });

  test('Fastify names the report route as the server’s predicate expects, and refuses with Ajv’s error', async () => {
    const asked: string[] = [];
    const app = Fastify();
    app.setValidatorCompiler(
      validators((route) => {
        asked.push(`${route.method} ${route.url}`);
        return route.method === REPORT_ROUTE.method && route.url === REPORT_ROUTE.url;
      }),
    );
    app.post(REPORT_ROUTE.url, { schema: { body: Report, params: NodeParams } }, async () => ({ ok: true }));
    try {
      await app.ready();
      assert.deepEqual(asked, [`${REPORT_ROUTE.method} ${REPORT_ROUTE.url}`], 'asked once, for the body');
      const ok = await app.inject({ method: 'POST', url: '/api/v1/nodes/n-1/reports', payload: VALID });
      assert.equal(ok.statusCode, 200);
      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/nodes/n-1/reports',
        payload: { ...VALID, wan_ok: 'false' },
      });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /wan_ok/);
    } finally {
      await app.close();
    }
  });
});
