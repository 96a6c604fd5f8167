// The hubs know registries, not mechanisms: src/agent and src/cli import no mechanism folder, and what a
// registry declares managed (the fields its controller settings own) names its own kinds and their keys.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { REGISTRIES } from '../../src/actions/registries.js';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

test('src/agent and src/cli import no mechanism folder, only the list of registries', () => {
  const offenders = ['agent', 'cli']
    .flatMap((d) => sources(join(SRC, d)))
    .filter((f) => /from '[./]*\/actions\/(linux|aws|azure)\//.test(readFileSync(f, 'utf8')))
    .map((f) => f.slice(SRC.length));
  assert.deepEqual(offenders, []);
});

test("a registry's managed fields are keys of its own kinds' schemas", () => {
  for (const r of REGISTRIES) {
    for (const [kind, fields] of Object.entries(r.managed?.kinds ?? {})) {
      assert.ok(r.kinds.includes(kind), `${r.mechanism} declares ${kind}, not one of its kinds`);
      const keys = Object.keys((r.schemas[kind] as TSchema).properties ?? {});
      for (const key of Object.keys(fields))
        assert.ok(keys.includes(key), `${kind}.${key} is not in its schema`);
      const selects = r.managed?.selects?.[kind];
      if (selects !== undefined)
        assert.ok(keys.includes(selects), `${kind} selects by ${selects}, not in its schema`);
    }
  }
  assert.deepEqual(
    REGISTRIES.filter((r) => r.managed !== undefined).map((r) => [r.managed?.part, r.managed?.settings_key]),
    [
      ['network', 'network'],
      ['cloud', 'aws'],
      ['cloud', 'azure'],
    ],
  );
});
