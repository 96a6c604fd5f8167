// Writes docs/config-reference.md from the TypeBox schemas the checker validates with, so that the reference
// cannot drift from the code: `npm run docs:config`; test/docs/config-reference.test.ts fails when the
// committed file differs. Types, ranges, choices, required keys and defaults come from the schemas; the prose
// from their `description`s and from the doc comments (/** … */) on their keys, read with the TypeScript
// compiler from the file that declares each schema.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import ts from 'typescript';

const ROOT = new URL('..', import.meta.url).pathname;
export const REFERENCE_FILE = join(ROOT, 'docs', 'config-reference.md');

type Json = Record<string, unknown>;

/** A schema and where it is declared: its file and exported name (for its keys' doc comments). */
interface Source {
  readonly file: string;
  readonly exportName: string;
}

/** Doc comments of one file: by `Export.key.key` path, and by bare key name when the name is unambiguous. */
interface FileDocs {
  readonly byPath: Map<string, string>;
  readonly byName: Map<string, string | null>;
}

const docsCache = new Map<string, FileDocs>();

function docsOf(file: string): FileDocs {
  const cached = docsCache.get(file);
  if (cached) return cached;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const docs: FileDocs = { byPath: new Map(), byName: new Map() };
  const record = (p: ts.PropertyAssignment, path: string): void => {
    const text = ts
      .getJSDocCommentsAndTags(p)
      .map((d) => (ts.isJSDoc(d) ? (ts.getTextOfJSDocComment(d.comment) ?? '') : ''))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (text === '') return;
    docs.byPath.set(path, text);
    const name = path.split('.').at(-1) ?? path;
    const seen = docs.byName.get(name);
    docs.byName.set(name, seen === undefined || seen === text ? text : null);
  };
  const objectLiteral = (o: ts.ObjectLiteralExpression, path: string): void => {
    for (const p of o.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const key = p.name.getText(source).replace(/^['"]|['"]$/g, '');
      record(p, `${path}.${key}`);
      visit(p.initializer, `${path}.${key}`);
    }
  };
  const visit = (node: ts.Node, path: string): void => {
    if (ts.isObjectLiteralExpression(node)) objectLiteral(node, path);
    else ts.forEachChild(node, (child) => visit(child, path));
  };
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const d of statement.declarationList.declarations)
      if (ts.isIdentifier(d.name) && d.initializer) visit(d.initializer, d.name.text);
  }
  docsCache.set(file, docs);
  return docs;
}

function docFor(source: Source, path: readonly string[]): string | undefined {
  const docs = docsOf(source.file);
  const key = path.at(-1);
  return (
    docs.byPath.get([source.exportName, ...path].join('.')) ??
    (key === undefined ? undefined : (docs.byName.get(key) ?? undefined))
  );
}

const code = (s: string): string => `\`${s.replaceAll('|', '\\|')}\``;
const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function range(min: unknown, max: unknown): string {
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

function isObject(s: Json): boolean {
  return s.type === 'object' && typeof s.properties === 'object';
}

/** The `kind` literal of an object schema, if it has one. */
function kindOf(s: Json): string | undefined {
  const k = (s.properties as Record<string, Json> | undefined)?.kind;
  return typeof k?.const === 'string' ? k.const : undefined;
}

function typeOf(s: Json): string {
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as Json[];
    if (members.every((m) => m.const !== undefined))
      return `one of ${members.map((m) => code(String(m.const))).join(', ')}`;
    if (members.every((m) => kindOf(m) !== undefined))
      return `one of the kinds ${members.map((m) => code(kindOf(m) ?? '')).join(', ')} (below)`;
    return members.map(typeOf).join(', or ');
  }
  switch (s.type) {
    case 'string': {
      const pattern = typeof s.pattern === 'string' ? `, pattern ${code(s.pattern)}` : '';
      const length = s.maxLength !== undefined ? `, ${s.minLength ?? 0}–${s.maxLength} characters` : '';
      return `string${pattern}${length}`;
    }
    case 'integer':
    case 'number':
      return `${s.type}${range(s.minimum, s.maximum)}`;
    case 'boolean':
      return 'true or false';
    case 'array': {
      const item = s.items as Json;
      const inner = isObject(item) ? 'objects (keys below)' : typeOf(item);
      const n = range(s.minItems, s.maxItems);
      return `list of ${inner}${n === '' ? '' : `,${n} items`}`;
    }
    case 'object':
      return isObject(s) ? 'object (keys below)' : 'object';
    default:
      return 'any';
  }
}

interface Row {
  readonly key: string;
  readonly type: string;
  readonly required: string;
  readonly doc: string;
}

/** The rows of an object schema, nested objects flattened as `a.b` and lists of objects as `a[].b`. */
function rows(schema: Json, source: Source, prefix: string[] = [], shown: string[] = []): Row[] {
  const out: Row[] = [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [key, raw] of Object.entries(schema.properties as Record<string, Json>)) {
    const path = [...prefix, key];
    const display = [...shown, key].join('.');
    const description = typeof raw.description === 'string' ? raw.description : undefined;
    const doc = [docFor(source, path)?.replace(/\.$/, ''), description]
      .filter((d) => d !== undefined)
      .join('; ');
    const dflt = raw.default !== undefined ? `default ${code(JSON.stringify(raw.default))}` : 'no';
    out.push({ key: code(display), type: typeOf(raw), required: required.has(key) ? 'yes' : dflt, doc });
    if (isObject(raw)) out.push(...rows(raw, source, path, [...shown, key]));
    const item = raw.type === 'array' ? (raw.items as Json) : undefined;
    if (item && isObject(item) && kindOf(item) === undefined)
      out.push(...rows(item, sourceOf(item) ?? source, sourceOf(item) ? [] : path, [...shown, `${key}[]`]));
  }
  return out;
}

function table(schema: Json, source: Source): string {
  const lines = ['| key | type | required | meaning |', '| --- | --- | --- | --- |'];
  for (const r of rows(schema, source))
    lines.push(`| ${r.key} | ${r.type} | ${r.required} | ${cell(r.doc)} |`);
  return lines.join('\n');
}

/** Kind-tagged object schemas nested anywhere below (pathwatch targets, rules, routes): each its own table. */
function kindedBelow(schema: Json): Json[] {
  const out: Json[] = [];
  const walk = (s: Json): void => {
    if (Array.isArray(s.anyOf) && (s.anyOf as Json[]).every((m) => kindOf(m) !== undefined))
      out.push(...(s.anyOf as Json[]));
    for (const v of Object.values((s.properties as Record<string, Json> | undefined) ?? {})) walk(v);
    if (s.type === 'array') walk(s.items as Json);
    if (Array.isArray(s.anyOf)) for (const m of s.anyOf as Json[]) walk(m);
  };
  walk(schema);
  return [...new Set(out)];
}

// ------------------------------------------------------------------------------------------------
// Where each schema is declared: every exported TypeBox object of the schema modules, by identity.

const declared = new Map<object, Source>();

async function register(file: string): Promise<void> {
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  for (const [name, value] of Object.entries(module))
    if (typeof value === 'object' && value !== null && !declared.has(value))
      declared.set(value, { file, exportName: name });
}

function sourceOf(schema: Json): Source | undefined {
  return declared.get(schema);
}

function section(level: string, title: string, schema: Json, intro = ''): string {
  const source = sourceOf(schema);
  if (source === undefined) throw new Error(`docs-config: no module exports the schema of ${title}`);
  const parts = [`${level} ${title}`, intro, table(schema, source)].filter((p) => p !== '');
  for (const k of kindedBelow(schema)) {
    const s = sourceOf(k) ?? source;
    parts.push(`${level}# ${title}: kind ${code(kindOf(k) ?? '')}`, table(k, s));
  }
  return parts.join('\n\n');
}

export async function configReference(): Promise<string> {
  const src = join(ROOT, 'src');
  const actionDirs = readdirSync(join(src, 'actions'), { withFileTypes: true }).filter((d) =>
    d.isDirectory(),
  );
  const schemaFiles = [
    join(src, 'agent', 'config-schema.ts'),
    join(src, 'monitors', 'spec.ts'),
    join(src, 'pathwatch', 'config-schema.ts'),
    ...actionDirs.flatMap((d) =>
      ['spec.ts', 'schema.ts']
        .map((f) => join(src, 'actions', d.name, f))
        .filter((f) => readdirSync(join(src, 'actions', d.name)).includes(f.split('/').at(-1) ?? '')),
    ),
  ];
  for (const f of schemaFiles) await register(f);
  const { AgentConfigSchema } = await import('../src/agent/config-schema.js');
  const { MONITOR_SCHEMAS } = await import('../src/agent/plugins.js');
  const { REGISTRIES } = await import('../src/actions/registries.js');
  const { PathwatchConfigSchema } = await import('../src/pathwatch/config-schema.js');

  const parts: string[] = [
    '# Config reference',
    '<!-- Generated by `npm run docs:config` from the schemas in src/ (the ones `--check` validates with). Do not edit: edit the schema or its doc comment, then run it again; a test fails while this file differs. -->',
    'Every key of the two YAML configs, with its type, range, choices and default. Relative file paths are relative to the config file. `tandem schema` prints the same as a JSON Schema for editors. How the pieces work together: [agent.md](agent.md), [linux.md](linux.md), [aws.md](aws.md), [azure.md](azure.md), [guide-pathwatch.md](guide-pathwatch.md).',
    section(
      '##',
      'Node config (`tandem agent --config`)',
      AgentConfigSchema as unknown as Json,
      'Exactly one of `pair_key_file` and `pair_key_env`. `monitors` and `actions` are lists of the kinds below.',
    ),
    '## Monitors (`monitors[]`)',
  ];
  for (const [kind, schema] of Object.entries(MONITOR_SCHEMAS))
    parts.push(section('###', `kind ${code(kind)}`, schema as unknown as Json));
  parts.push('## Actions (`actions[]`)');
  for (const r of REGISTRIES)
    for (const [kind, schema] of Object.entries(r.schemas as Record<string, TSchema>))
      parts.push(section('###', `kind ${code(kind)} (${r.mechanism})`, schema as unknown as Json));
  parts.push(
    section('##', 'Pathwatch config (`tandem pathwatch --config`)', PathwatchConfigSchema as unknown as Json),
  );
  return `${parts.join('\n\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(REFERENCE_FILE, await configReference());
  console.log(`wrote ${relative(ROOT, REFERENCE_FILE)}`);
}
