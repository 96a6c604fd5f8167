// What every Azure action shares: one ARM client per identity and subscription, and where we are (subscription,
// resource group, our NIC), resolved once at start-up (never during a failover) and forgotten on failure.
import type { NetworkInterface, NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/identity';
import type { Logger } from 'pino';
import type { ArbiterReport } from '../kit/arbiter.js';
import { Resolved, ResolvedMap } from '../kit/resolved.js';
import { type CallBudget, DEFAULT_RETRY, type RetryPolicy } from '../kit/retry.js';
import {
  ARM_PUBLIC,
  callOptions,
  createArmClient,
  DEFAULT_IMDS_URL,
  DEFAULT_REQUEST_TIMEOUT_MS,
  managedIdentity,
  withRetry,
} from './client.js';
import { type AzureSelf, discoverSelf, normaliseMac } from './discovery.js';
import { AzureError } from './errors.js';
import type { ConnectionSpec } from './schema.js';

/** Azure's waits are longer than EC2's: a 409 lasts as long as the NIC update (tens of seconds). */
export const AZURE_RETRY: RetryPolicy = {
  ...DEFAULT_RETRY,
  base_ms: 200,
  throttle_base_ms: 1000,
  cap_ms: 2000,
  attempts_max: 200,
};

export interface AzureContext {
  readonly log: Logger;
  readonly retry?: RetryPolicy;
  readonly report?: (report: ArbiterReport) => void;
  /** Tests run two identities in one process; default: the VM's managed identity. */
  readonly credential?: TokenCredential;
  /** Shared across the actions of one agent so the VM is discovered once. */
  readonly discovery?: ResolvedMap<AzureSelf>;
  /** How often a running update is read back (its progress); default 250 ms. */
  readonly poll_ms?: number;
}

export interface Where {
  readonly subscription_id: string;
  readonly resource_group: string;
  readonly client: NetworkManagementClient;
  /** Our NIC's name, and the subnet IMDS gives for it (null when not discovered). */
  readonly nic: string;
  readonly subnet_cidr: string | null;
}

const shared = new ResolvedMap<AzureSelf>();

export class AzureSession {
  readonly spec: ConnectionSpec;
  readonly ctx: AzureContext;
  readonly #where = new Resolved<Where>();

  constructor(spec: ConnectionSpec, ctx: AzureContext) {
    this.spec = spec;
    this.ctx = ctx;
  }

  get log(): Logger {
    return this.ctx.log;
  }

  get retry(): RetryPolicy {
    return this.ctx.retry ?? AZURE_RETRY;
  }

  get poll_ms(): number {
    return this.ctx.poll_ms ?? 250;
  }

  get endpoint(): string {
    return this.spec.arm_endpoint ?? ARM_PUBLIC;
  }

  get timeout_ms(): number {
    return this.spec.request_timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  opts(signal: AbortSignal): ReturnType<typeof callOptions> {
    return callOptions(signal, this.timeout_ms);
  }

  self(): Promise<AzureSelf> {
    const url = this.spec.imds_url ?? DEFAULT_IMDS_URL;
    return (this.ctx.discovery ?? shared).get(url, () => discoverSelf(url));
  }

  /**
   * Our NIC's subnet as the instance metadata gives it. A config that names subscription, resource group and NIC
   * resolves without IMDS; the preflight still asks it here, and null means IMDS is not reachable from this node.
   */
  async subnetCidr(w: Where): Promise<string | null> {
    if (w.subnet_cidr !== null) return w.subnet_cidr;
    try {
      return pickInterface(await this.self(), this.spec.interface_mac).subnet_cidr;
    } catch {
      return null;
    }
  }

  /** Where we are: from the config where it says, else from IMDS (and our NIC by MAC from ARM). */
  where(b: CallBudget): Promise<Where> {
    return this.#where.get(() => this.#resolve(b));
  }

  async #resolve(b: CallBudget): Promise<Where> {
    const s = this.spec;
    const needsImds =
      s.subscription_id === undefined || s.resource_group === undefined || s.nic === undefined;
    const self = needsImds ? await this.self() : null;
    const subscription_id = s.subscription_id ?? self!.subscription_id;
    const resource_group = s.resource_group ?? self!.resource_group;
    const credential = this.ctx.credential ?? managedIdentity(s.managed_identity_client_id, s.imds_url);
    const client = createArmClient(credential, {
      subscription_id,
      arm_endpoint: s.arm_endpoint,
      arm_ca_file: s.arm_ca_file,
    });
    const mine = self ? pickInterface(self, s.interface_mac) : null;
    const nic = s.nic ?? (await this.#nicByMac(client, resource_group, mine!.mac, b));
    return {
      subscription_id,
      resource_group,
      client,
      nic: nameOf(nic),
      subnet_cidr: mine?.subnet_cidr ?? null,
    };
  }

  async #nicByMac(client: NetworkManagementClient, rg: string, mac: string, b: CallBudget): Promise<string> {
    const nics = await withRetry('list network interfaces', b, async (signal) => {
      const out: NetworkInterface[] = [];
      for await (const n of client.networkInterfaces.list(rg, this.opts(signal))) out.push(n);
      return out;
    });
    const hit = nics.find((n) => normaliseMac(n.macAddress ?? '') === mac);
    if (!hit?.name)
      throw new AzureError(
        'AZURE_DISCOVERY',
        'NicNotFound',
        `no NIC in resource group ${rg} has MAC ${mac}; set nic in the config`,
      );
    return hit.name;
  }

  resourceGroupScope(w: Where): string {
    return `/subscriptions/${w.subscription_id}/resourceGroups/${w.resource_group}`;
  }
}

function pickInterface(self: AzureSelf, mac: string | undefined) {
  const want = mac === undefined ? undefined : normaliseMac(mac);
  const hit = want === undefined ? self.interfaces[0] : self.interfaces.find((i) => i.mac === want);
  if (!hit)
    throw new AzureError(
      'AZURE_DISCOVERY',
      'InterfaceNotFound',
      `instance metadata shows no interface${want ? ` with MAC ${want}` : ''}; set nic in the config`,
    );
  return hit;
}

/** A name in the resource group, or the last part of an ARM id. */
export function nameOf(ref: string): string {
  return ref.includes('/') ? (ref.split('/').pop() ?? ref) : ref;
}
