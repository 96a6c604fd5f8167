// The ARM client and the credential (CLOUD.md §2.1, §2.6). The SDK's own retries are off: its 429/5xx waits
// (up to 64 s) survive no failover deadline; the kit's loop retries with the Retry-After ARM sends instead.
import { readFileSync } from 'node:fs';
import { NetworkManagementClient } from '@azure/arm-network';
import { createPipelineRequest, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { type CallBudget, type ErrorClassifier, withRetry as kitRetry } from '../kit/retry.js';
import { AzureError, classify } from './errors.js';

export const ARM_PUBLIC = 'https://management.azure.com';
export { DEFAULT_IMDS_URL } from './schema.js';

import { DEFAULT_IMDS_URL } from './schema.js';
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const SCOPE = 'https://management.azure.com/.default';
/** What @azure/arm-network 36.0.0 sends (CLOUD.md §2.1); the raw route PUT uses the same. */
export const NETWORK_API_VERSION = '2025-05-01';

export interface ClientOptions {
  readonly subscription_id: string;
  readonly arm_endpoint?: string | undefined;
  readonly arm_ca_file?: string | undefined;
}

/**
 * If-Match only on the PUT it was meant for: the LRO helper repeats a request's custom headers on every poll
 * and on the final GET, where the then stale etag would fail (CLOUD.md §2.4).
 */
const ifMatchOnWritesOnly: PipelinePolicy = {
  name: 'tandemIfMatchOnWritesOnly',
  sendRequest: (request, next) => {
    if (request.method !== 'PUT') request.headers.delete('If-Match');
    return next(request);
  },
};

export function createArmClient(
  credential: TokenCredential,
  options: ClientOptions,
): NetworkManagementClient {
  const endpoint = options.arm_endpoint ?? ARM_PUBLIC;
  const client = new NetworkManagementClient(credential, options.subscription_id, {
    endpoint,
    // 36.0.0 also reads $host; without credentialScopes the token's audience would become the endpoint.
    $host: endpoint,
    credentialScopes: [SCOPE],
    retryOptions: { maxRetries: 0 },
    ...(options.arm_ca_file ? { tlsOptions: { ca: readFileSync(options.arm_ca_file, 'utf8') } } : {}),
  });
  client.pipeline.addPolicy(ifMatchOnWritesOnly);
  return client;
}

/**
 * The VM's managed identity through @azure/identity. A non-default IMDS (the simulator's) is MSAL's documented
 * redirect, AZURE_POD_IDENTITY_AUTHORITY_HOST, read once per process; an operator's own setting wins.
 */
export function managedIdentity(
  client_id: string | undefined,
  imds_url: string | undefined,
): TokenCredential {
  if (imds_url !== undefined && imds_url !== DEFAULT_IMDS_URL)
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST ??= imds_url;
  return client_id ? new ManagedIdentityCredential({ clientId: client_id }) : new ManagedIdentityCredential();
}

/** The Azure classifier for the kit's retry: 409, 412, 429, 5xx, held addresses and failed operations retry. */
export const AZURE_ERRORS: ErrorClassifier<AzureError> = {
  classify,
  aborted: (action) => new AzureError('AZURE_ABORTED', 'Aborted', `${action}: aborted`),
  exhausted: (action, why, last) =>
    new AzureError(
      'AZURE_DEADLINE',
      last?.arm_code ?? 'Deadline',
      `${action}: no success ${why}${last ? ` (last error: ${last.message})` : ''}; raise deadline_ms or fix the cause`,
    ),
};

export function withRetry<T>(
  action: string,
  b: CallBudget,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return kitRetry(action, b, AZURE_ERRORS, attempt);
}

/** Per-call options: the attempt's abort signal and a bound on one request. */
export function callOptions(
  signal: AbortSignal,
  timeout_ms: number,
): { abortSignal: AbortSignal; requestOptions: { timeout: number } } {
  return { abortSignal: signal, requestOptions: { timeout: timeout_ms } };
}

/** ARM's permissions listing at a scope: the actions the caller holds there (not in arm-network). */
export async function listPermissions(
  client: NetworkManagementClient,
  endpoint: string,
  scope: string,
  signal: AbortSignal,
): Promise<{ actions: string[]; notActions: string[] }> {
  const body = (await armRequest(
    client,
    endpoint,
    'GET',
    `${scope}/providers/Microsoft.Authorization/permissions`,
    {
      api_version: '2022-04-01',
      signal,
    },
  )) as { value?: { actions?: string[]; notActions?: string[] }[] } | undefined;
  return {
    actions: (body?.value ?? []).flatMap((v) => v.actions ?? []),
    notActions: (body?.value ?? []).flatMap((v) => v.notActions ?? []),
  };
}

/**
 * One ARM request through the client's own pipeline (credential, TLS, policies), without the LRO helper: a
 * route PUT's answer already shows the new next hop, and the caller reads the route back itself, so the
 * helper's immediate poll would only add a round trip to the fast path.
 */
export async function armRequest(
  client: NetworkManagementClient,
  endpoint: string,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  o: { api_version?: string; body?: unknown; signal: AbortSignal; timeout_ms?: number },
): Promise<unknown> {
  const url = `${endpoint.replace(/\/$/, '')}${path}?api-version=${o.api_version ?? NETWORK_API_VERSION}`;
  const request = createPipelineRequest({
    url,
    method,
    abortSignal: o.signal,
    ...(o.timeout_ms ? { timeout: o.timeout_ms } : {}),
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  if (o.body !== undefined) request.headers.set('Content-Type', 'application/json');
  const res = await client.sendRequest(request);
  const body = safeJson(res.bodyAsText ?? undefined);
  if (res.status >= 400) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const err = new Error(e?.message ?? `${method} ${path} answered ${res.status}`);
    Object.assign(err, {
      name: 'RestError',
      statusCode: res.status,
      code: e?.code ?? 'Error',
      response: res,
    });
    throw err;
  }
  return body;
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** Whether an action (`Microsoft.Network/networkInterfaces/write`) is granted by a list with wildcards. */
export function granted(action: string, perms: { actions: string[]; notActions: string[] }): boolean {
  const match = (pattern: string): boolean =>
    new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`, 'i').test(action);
  return perms.actions.some(match) && !perms.notActions.some(match);
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
