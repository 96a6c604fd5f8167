// What every AWS action shares: the injected context, one EC2 client and the instance's own identity,
// resolved once at start-up (never during a failover) and cached.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Logger } from 'pino';
import type { ArbiterReport } from '../kit/arbiter.js';
import { ResolvedMap } from '../kit/resolved.js';
import { type CallBudget, DEFAULT_RETRY, runVerb as kitRunVerb, type RetryPolicy } from '../kit/retry.js';
import type { ActionContext, ActionError, ActionResult, Observation } from '../types.js';
import { createEc2Client } from './client.js';
import { DEFAULT_IMDS_URL, discoverSelf, Imds, pickInterface, type SelfInfo } from './discovery.js';
import { AwsError } from './errors.js';
import type { LocalAddresses } from './local-address.js';

export interface AwsContext {
  readonly log: Logger;
  /** Retry timing; tests inject a seeded random. */
  readonly retry?: RetryPolicy;
  /** How a secondary IP is put on the OS interface; default `ip addr` in this network namespace. */
  readonly local?: LocalAddresses;
  /** Where the arbiter sends split brain and drift; default: logged only. */
  readonly report?: (report: ArbiterReport) => void;
  /** Fixed credentials (tests run two identities in one process); default: the SDK's provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Shared across the actions of one agent so the instance is discovered once. */
  readonly discovery?: DiscoveryCache;
}

export interface OwnInterfaceSpec {
  readonly eni_id?: string | undefined;
  readonly interface_mac?: string | undefined;
  readonly device_index?: number | undefined;
}

export interface ConnectionSpec {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly imds_url?: string | undefined;
  readonly request_timeout_ms?: number | undefined;
}

/** One discovery per metadata URL per process; a failure is forgotten so the next call retries. */
export class DiscoveryCache {
  readonly #entries = new ResolvedMap<SelfInfo>();

  self(imds_url: string): Promise<SelfInfo> {
    return this.#entries.get(imds_url, () => discoverSelf(new Imds(imds_url)));
  }
}

const shared = new DiscoveryCache();

export class AwsSession {
  readonly #spec: ConnectionSpec;
  readonly #ctx: AwsContext;
  #client: EC2Client | null = null;

  constructor(spec: ConnectionSpec, ctx: AwsContext) {
    this.#spec = spec;
    this.#ctx = ctx;
  }

  get log(): Logger {
    return this.#ctx.log;
  }

  get retry(): RetryPolicy {
    return this.#ctx.retry ?? DEFAULT_RETRY;
  }

  get context(): AwsContext {
    return this.#ctx;
  }

  self(): Promise<SelfInfo> {
    return (this.#ctx.discovery ?? shared).self(this.#spec.imds_url ?? DEFAULT_IMDS_URL);
  }

  async client(): Promise<EC2Client> {
    if (this.#client) return this.#client;
    const region = this.#spec.region ?? (await this.self()).region;
    this.#client = createEc2Client({
      region,
      endpoint: this.#spec.endpoint,
      request_timeout_ms: this.#spec.request_timeout_ms,
      credentials: this.#ctx.credentials,
    });
    return this.#client;
  }

  /** Our interface: the configured id as is (no metadata needed), else found in metadata by MAC / device. */
  async ownInterface(ref: OwnInterfaceSpec): Promise<{ eni_id: string; subnet_cidr: string | null }> {
    if (ref.eni_id !== undefined && ref.interface_mac === undefined && ref.device_index === undefined)
      return { eni_id: ref.eni_id, subnet_cidr: null };
    const hit = pickInterface(await this.self(), {
      eni_id: ref.eni_id,
      mac: ref.interface_mac,
      device_index: ref.device_index,
    });
    return { eni_id: hit.eni_id, subnet_cidr: hit.subnet_cidr === '' ? null : hit.subnet_cidr };
  }

  close(): void {
    this.#client?.destroy();
    this.#client = null;
  }
}

/** Runs a verb against a budget and turns the outcome into an ActionResult (drivers never throw). */
export function runVerb(
  ctx: ActionContext,
  policy: RetryPolicy,
  body: (b: CallBudget) => Promise<void>,
): Promise<ActionResult> {
  return kitRunVerb(ctx, policy, toActionError, body);
}

export function toActionError(err: unknown): ActionError {
  if (err instanceof AwsError) return err.toActionError();
  return {
    code: 'AWS_INTERNAL',
    message: err instanceof Error ? err.message : String(err),
    retryable: false,
  };
}

export function unknownObservation(err: unknown): Observation {
  return { target: 'unknown', error: toActionError(err) };
}

export { Resolved } from '../kit/resolved.js';
export type { ArbiterReport };
