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
    out.push({ path, message: `${expectation(e.message, e.schema, docs)}, got ${shown(e.value)}` });
  }
  return out;
}

function expectation(message: string, schema: TSchema, docs: string): string {
  const options = (schema.anyOf as TSchema[] | undefined)?.map((s) => s.const);
  if (options?.every((o) => typeof o === 'string'))
    return `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
  if (message === 'Unexpected property') return `unknown key (check its spelling against ${docs})`;
  if (message === 'Expected required property') return 'a required key is missing';
  return message.charAt(0).toLowerCase() + message.slice(1);
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
