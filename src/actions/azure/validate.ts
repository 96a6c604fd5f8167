// Which actions are azure-* and whether an entry is valid: light enough for every config load (no SDK).
import { parseAddress, parseCidr } from '../../net/address.js';
import type { SpecContext } from '../kit/registry.js';
import { type SpecIssue, schemaIssues } from '../kit/spec-issues.js';
import {
  AZURE_SCHEMAS,
  type AzureActionSpec,
  type AzureKind,
  DEFAULT_IMDS_URL as DEFAULT,
} from './schema.js';

export const AZURE_KINDS = Object.keys(AZURE_SCHEMAS) as AzureKind[];

export function isAzureKind(kind: string): kind is AzureKind {
  return Object.hasOwn(AZURE_SCHEMAS, kind);
}

export function validateAzureAction(
  spec: { readonly kind: string; readonly [key: string]: unknown },
  context?: SpecContext,
): SpecIssue[] {
  if (!isAzureKind(spec.kind))
    return [{ path: 'kind', message: `expected one of ${AZURE_KINDS.join(', ')}, got "${spec.kind}"` }];
  const shape = schemaIssues(AZURE_SCHEMAS[spec.kind], spec, 'docs/azure.md');
  if (shape.length > 0) return shape;
  return [...semanticIssues(spec as AzureActionSpec), ...imdsIssues(spec as AzureActionSpec, context)];
}

/**
 * One metadata service per node: @azure/identity has no per-credential IMDS endpoint, so a non-default one is
 * MSAL's process-wide AZURE_POD_IDENTITY_AUTHORITY_HOST, and two azure-* actions naming different ones would
 * silently share the first one's identity.
 */
function imdsIssues(spec: AzureActionSpec, context: SpecContext | undefined): SpecIssue[] {
  const other = context?.siblings.find(
    (s) => isAzureKind(s.kind) && (s.imds_url ?? DEFAULT) !== (spec.imds_url ?? DEFAULT),
  );
  if (other === undefined) return [];
  return [
    {
      path: 'imds_url',
      message: `expected the same imds_url as every other azure-* action of this node (${String(other.imds_url ?? DEFAULT)}): the managed identity's endpoint is process-wide`,
    },
  ];
}

function semanticIssues(spec: AzureActionSpec): SpecIssue[] {
  const out: SpecIssue[] = [];
  const address = (path: string, value: string | undefined): void => {
    if (value === undefined) return;
    const parsed = parseAddress(value, 4);
    if (!parsed.ok) out.push({ path, message: parsed.expected });
  };
  if (spec.kind === 'azure-floating-ip') {
    address('address', spec.address);
    if (spec.nic !== undefined && spec.nic === spec.peer_nic)
      out.push({ path: 'peer_nic', message: "expected the peer's NIC, got the same NIC as nic" });
    return out;
  }
  spec.prefixes.forEach((p, i) => {
    const parsed = parseCidr(p, { family: 4, network: true });
    if (!parsed.ok) out.push({ path: `prefixes[${i}]`, message: parsed.expected });
  });
  address('next_hop', spec.next_hop);
  address('peer_next_hop', spec.peer_next_hop);
  if (spec.next_hop !== undefined && spec.next_hop === spec.peer_next_hop)
    out.push({
      path: 'peer_next_hop',
      message: "expected the peer's next hop, got the same address as next_hop",
    });
  return out;
}
