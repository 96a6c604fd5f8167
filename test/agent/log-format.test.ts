// `log_format`: accepted and defaulted by the checker, refused with its line when wrong, and a key a
// reload cannot change (pino fixes its writers when the logger is made). The log lines themselves are
// read from a real agent in test/agent/e2e-metrics.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/agent/config.js';
import { reloadIssues } from '../../src/agent/reload.js';

const KEY = 'bG9vcGJhY2stdGVzdC1wYWlyLWtleS0zMi1ieXRlcyEh';
const base = `pair: p
node: a
role: primary
pair_key_env: KEY
paths: [{ name: lo, local_address: 127.0.0.1, peer_address: 127.0.0.2 }]
`;
const load = (extra: string) => parseConfig('/etc/tandem/a.yaml', base + extra, { env: { KEY } });

test('log_format defaults to pino’s numbers, takes iso and name, and refuses anything else with its line', () => {
  assert.deepEqual(load('').log_format, { time: 'epoch', level: 'number' });
  assert.deepEqual(load('log_format: { time: iso }\n').log_format, { time: 'iso', level: 'number' });
  assert.deepEqual(load('log_format: { time: iso, level: name }\n').log_format, {
    time: 'iso',
    level: 'name',
  });
  assert.throws(
    () => load('log_format:\n  time: rfc3339\n'),
    (err: unknown) =>
      err instanceof ConfigError && /a\.yaml:7: log_format\.time: .*epoch.*iso/s.test(err.message),
  );
});

test('a reload that changes log_format is refused, naming the key', () => {
  const issues = reloadIssues(load(''), load('log_format: { level: name }\n'));
  assert.deepEqual(
    issues.map((i) => i.path),
    ['log_format'],
  );
});
