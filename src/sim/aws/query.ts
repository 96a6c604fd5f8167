// EC2 Query protocol input: form-encoded parameters with numbered lists (`RouteTableId.1`) and filters.
import { SimError } from '../errors.js';

export interface Filter {
  name: string;
  values: string[];
}

export class Params {
  private readonly map: Map<string, string>;

  constructor(body: string) {
    this.map = new Map(new URLSearchParams(body));
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  str(name: string): string | undefined {
    return this.map.get(name);
  }

  req(name: string): string {
    const v = this.map.get(name);
    if (v === undefined || v === '') {
      throw new SimError(400, 'MissingParameter', `The request must contain the parameter ${name}`);
    }
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = this.map.get(name);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new SimError(
      400,
      'InvalidParameterValue',
      `Value (${v}) for parameter ${name} is invalid. Expected a boolean.`,
    );
  }

  int(name: string): number | undefined {
    const v = this.map.get(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) {
      throw new SimError(
        400,
        'InvalidParameterValue',
        `Value (${v}) for parameter ${name} is invalid. Expected an integer.`,
      );
    }
    return Number(v);
  }

  /** `Name.1`, `Name.2`, ... in order. */
  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const v = this.map.get(`${name}.${i}`);
      if (v === undefined) return out;
      out.push(v);
    }
  }

  filters(): Filter[] {
    const out: Filter[] = [];
    for (let i = 1; ; i++) {
      const name = this.map.get(`Filter.${i}.Name`);
      if (name === undefined) return out;
      out.push({ name, values: this.list(`Filter.${i}.Value`) });
    }
  }
}

export type FilterFn<T> = (item: T, value: string) => boolean;

function wildcard(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** A filter matching one string field, with EC2's `*` and `?` wildcards. */
export function field<T>(get: (item: T) => string | undefined): FilterFn<T> {
  return (item, value) => wildcard(value, get(item));
}

/** A filter matching any of several strings of the item (e.g. every route's destination). */
export function anyOf<T>(get: (item: T) => (string | undefined)[]): FilterFn<T> {
  return (item, value) => get(item).some((v) => wildcard(value, v));
}

/** Keeps the items matching every filter (values of one filter are OR-ed); unknown filter names are refused. */
export function applyFilters<T>(items: T[], filters: Filter[], known: Record<string, FilterFn<T>>): T[] {
  for (const f of filters) {
    if (!known[f.name] && !f.name.startsWith('tag:')) {
      throw new SimError(400, 'InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
  }
  // Only the Name tag exists in the simulator: a filter on any other tag key matches nothing.
  return items.filter((item) =>
    filters.every((f) => {
      const fn = known[f.name];
      return fn !== undefined && f.values.some((v) => fn(item, v));
    }),
  );
}
