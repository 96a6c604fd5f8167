// docs/config-reference.md is generated from the schemas (npm run docs:config): the committed file must be what
// the generator writes today, and the defaults the schemas document must be the ones the loader applies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configReference, REFERENCE_FILE } from '../../scripts/docs-config.js';
import { parseConfig } from '../../src/agent/config.js';
import { AgentConfigSchema, NotifySchema, PathSchema, StatusSchema } from '../../src/agent/config-schema.js';

test('docs/config-reference.md is what `npm run docs:config` generates from the schemas', async () => {
  const committed = readFileSync(REFERENCE_FILE, 'utf8');
  const generated = await configReference();
  assert.ok(
    committed === generated,
    'docs/config-reference.md is stale: run `npm run docs:config` and commit it',
  );
  // It covers every kind of every list, not only the top level.
  for (const heading of [
    'kind `check`',
    'kind `vip` (linux)',
    'kind `aws-route-table` (aws)',
    'kind `azure-floating-ip` (azure)',
    'Pathwatch config',
  ])
    assert.ok(generated.includes(heading), heading);
});

test('every default the schema documents is the one the loader applies', () => {
  const cfg = parseConfig(
    '/etc/tandem/node.yaml',
    `pair: p\nnode: a\nrole: primary\npair_key_env: K\ncontroller_url: https://controller.example\ncontroller_enrollment_token_env: T\npaths: [{ name: lan, local_address: 10.0.0.1, peer_address: 10.0.0.2 }]\nnotify: { commands: ["true"] }\n`,
    { env: { K: Buffer.alloc(32, 7).toString('base64'), T: 'token' } },
  ) as unknown as Record<string, unknown> & {
    paths: { port: number }[];
    notify: { timeout_ms: number };
    status: { listen: { host: string; port: number } };
    controller: Record<string, unknown>;
  };
  const documented = (props: object) =>
    Object.entries(props as Record<string, { default?: unknown }>).filter(([, s]) => s.default !== undefined);
  const top = documented(AgentConfigSchema.properties);
  assert.ok(top.length >= 10, 'the top-level defaults are documented');
  // The controller_* keys land in cfg.controller without their prefix.
  const applied = (key: string) =>
    key.startsWith('controller_') ? cfg.controller[key.slice('controller_'.length)] : cfg[key];
  for (const [key, s] of top) assert.deepEqual(applied(key), s.default, key);
  for (const [key, s] of documented(PathSchema.properties))
    assert.deepEqual((cfg.paths[0] as Record<string, unknown>)[key], s.default, `paths[].${key}`);
  for (const [key, s] of documented(NotifySchema.properties))
    assert.deepEqual((cfg.notify as Record<string, unknown>)[key], s.default, `notify.${key}`);
  const listen = StatusSchema.properties.listen.default as string;
  assert.equal(`${cfg.status.listen.host}:${cfg.status.listen.port}`, listen);
});
