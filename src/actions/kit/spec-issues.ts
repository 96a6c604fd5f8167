// TypeBox errors in readable words, one per path: shared by the agent's config and every registry's validate.
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A path inside the checked value and what was expected there. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

/** TypeBox errors, one per path (the first is the most telling), in readable words. */
export function schemaIssues(schema: TSchema, value: unknown, docs = 'docs/agent.md'): SpecIssue[] {
  const seen = new Set<string>();
  const out: SpecIssue[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = dotted(e.path);
    if (seen.has(path)) continue;
    seen.add(path);
    if (e.message === 'Unexpected property') out.push({ path, message: unknownKey(e.path, e.schema) });
    else out.push({ path, message: `${expectation(e.message, e.schema, docs)}, got ${shown(e.value)}` });
  }
  return out;
}

function unknownKey(pointer: string, schema: TSchema): string {
  const key = pointer.slice(pointer.lastIndexOf('/') + 1);
  const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  const near = nearest(key, known);
  return near === null
    ? `unknown key; expected one of ${known.join(', ')}`
    : `unknown key; did you mean "${near}"?`;
}

/** The known key within two edits of a typo (transposed letters count as one), if there is one. */
function nearest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

function expectation(message: string, schema: TSchema, docs: string): string {
  const options = schema.anyOf as TSchema[] | undefined;
  if (options !== undefined) {
    if (options.every((o) => typeof o.const === 'string'))
      return `expected one of ${options.map((o) => JSON.stringify(o.const)).join(', ')}`;
    return `expected ${options.map(kindWord).join(' or ')}`;
  }
  if (message === 'Expected required property') return 'a required key is missing';
  // A pattern is the implementation, not the explanation: say what it means.
  if (typeof schema.pattern === 'string')
    return `expected ${typeof schema.description === 'string' ? schema.description : `a value of the documented form (${docs})`}`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function kindWord(schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (typeof schema.description === 'string') return schema.description;
  const type = String(schema.type ?? 'value');
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function dotted(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
