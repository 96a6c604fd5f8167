// Which actions are aws-* and whether an entry is valid: light enough for every config load (no SDK).
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { SpecIssue } from '../kit/spec-issues.js';
import { parseDestination } from './route-view.js';
import { AWS_SCHEMAS, type AwsActionSpec, type AwsKind } from './schema.js';

export const AWS_KINDS = Object.keys(AWS_SCHEMAS) as AwsKind[];

export function isAwsKind(kind: string): kind is AwsKind {
  return Object.hasOwn(AWS_SCHEMAS, kind);
}

export type { SpecIssue };

/** Checks one `actions[]` entry of kind aws-*; an empty list means it is valid. */
export function validateAwsAction(spec: {
  readonly kind: string;
  readonly [key: string]: unknown;
}): SpecIssue[] {
  if (!isAwsKind(spec.kind))
    return [{ path: 'kind', message: `expected one of ${AWS_KINDS.join(', ')}, got "${spec.kind}"` }];
  const schema: TSchema = AWS_SCHEMAS[spec.kind];
  const out: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, spec)) {
    const path =
      e.path === ''
        ? '(root)'
        : e.path
            .slice(1)
            .replace(/\/(\d+)/g, '[$1]')
            .replace(/\//g, '.');
    if (seen.has(path)) continue;
    seen.add(path);
    // A pattern is the implementation, not the explanation: say what it means.
    const described = typeof e.schema.pattern === 'string' && typeof e.schema.description === 'string';
    const message =
      e.message === 'Unexpected property'
        ? 'unknown key (see docs/aws.md)'
        : described
          ? `expected ${e.schema.description}`
          : e.message;
    out.push({ path, message: `${message}, got ${JSON.stringify(e.value) ?? 'nothing'}` });
  }
  if (out.length > 0) return out;
  return semanticIssues(spec as AwsActionSpec);
}

function semanticIssues(spec: AwsActionSpec): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (spec.kind === 'aws-route-table') {
    spec.destinations.forEach((d, i) => {
      if (parseDestination(d) === null)
        out.push({
          path: `destinations[${i}]`,
          message: `expected an IPv4 or IPv6 CIDR (0.0.0.0/0, 10.9.0.1/32), got "${d}"`,
        });
    });
    if (spec.eni_id !== undefined && spec.eni_id === spec.peer_eni_id)
      out.push({ path: 'peer_eni_id', message: "expected the peer's ENI, got the same id as eni_id" });
  }
  if (spec.kind === 'aws-eni' && spec.instance_id !== undefined && spec.instance_id === spec.peer_instance_id)
    out.push({
      path: 'peer_instance_id',
      message: 'expected the peer instance, got the same id as instance_id',
    });
  return out;
}
