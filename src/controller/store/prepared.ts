// Hot-path queries, built once with Kysely (so each dialect gets its own SQL) and then run with new
// parameters: the query builder's per-call cost is larger than SQLite's own for these small queries.
import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './tables.js';

type Value = string | number | null;

const SENTINEL = '\u0000tandem-param:';

export interface Prepared<A extends Record<string, Value>, R> {
  run(db: Kysely<Database>, args: A): Promise<QueryResult<R>>;
}

/**
 * `build` receives placeholders in place of the arguments; every argument must appear as a bound
 * parameter (never inside an expression Kysely would evaluate), which holds for plain comparisons
 * and values.
 */
export function prepare<A extends Record<string, Value>, R>(
  db: Kysely<Database>,
  keys: readonly (keyof A & string)[],
  build: (db: Kysely<Database>, p: A) => Compilable<R>,
): Prepared<A, R> {
  const placeholders = Object.fromEntries(keys.map((k) => [k, `${SENTINEL}${k}`])) as unknown as A;
  const compiled = build(db, placeholders).compile();
  const slots = compiled.parameters.map((v) =>
    typeof v === 'string' && v.startsWith(SENTINEL) ? { arg: v.slice(SENTINEL.length) } : { constant: v },
  );
  const used = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
  for (const k of keys) if (!used.has(k)) throw new Error(`prepared query does not bind argument ${k}`);
  return {
    run(exec, args) {
      const parameters = slots.map((s) => ('arg' in s ? args[s.arg as keyof A] : s.constant));
      return exec.executeQuery(CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>);
    },
  };
}
