// azure-floating-ip (the reference behaviour, CLOUD.md §2.2): find the floating IP's ipConfiguration on the
// peer's NIC by address (never by name; works while the peer VM is dead), remove it and wait for the update;
// then add it to our NIC as a secondary ipConfiguration in our primary's subnet (found by its `primary` flag,
// never by name) and wait; read the end state back. Each step is a fresh GET-modify-PUT, retried on 409, 412,
// 429, 5xx and a failed operation inside the action's own deadline (default 180 s).
import type { NetworkInterface } from '@azure/arm-network';
import type { Driver } from '../kit/arbiter.js';
import { budget, type CallBudget, runVerb } from '../kit/retry.js';
import type { ActionContext, ActionResult, Observation, PreflightCheck } from '../types.js';
import { withRetry } from './client.js';
import { AzureError, toActionError } from './errors.js';
import { holds, type NicRef, Nics, nicRef, type Progress, primaryOf } from './nic.js';
import { floatingIpChecks } from './preflight.js';
import { DEFAULT_FLOATING_DEADLINE_MS, type FloatingIpSpec } from './schema.js';
import { type AzureContext, AzureSession, type Where } from './session.js';

const DEFAULT_IPCONFIG_NAME = 'tandem-floating';
/** Start-up resolution (IMDS, our NIC by MAC) gives up after this; a claim tries again. */
export const PREPARE_DEADLINE_MS = 30_000;

export class FloatingIpAction implements Driver {
  readonly kind = 'azure-floating-ip';
  readonly name: string;
  readonly deadline_ms: number;
  readonly spec: FloatingIpSpec;
  readonly #s: AzureSession;
  readonly #nics: Nics;

  constructor(spec: FloatingIpSpec, ctx: AzureContext) {
    this.spec = spec;
    this.name = spec.name ?? `azure-floating-ip ${spec.address} (peer ${spec.peer_nic})`;
    this.deadline_ms = spec.deadline_ms ?? DEFAULT_FLOATING_DEADLINE_MS;
    this.#s = new AzureSession(spec, ctx);
    this.#nics = new Nics(this.#s);
  }

  prepare(): Promise<Where> {
    return this.#s.where(budget(PREPARE_DEADLINE_MS, undefined, this.#s.retry));
  }

  close(): void {}

  preflight(ctx: ActionContext): Promise<readonly PreflightCheck[]> {
    return floatingIpChecks(this.#s, this.spec, ctx);
  }

  claim(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#s.retry, toActionError, async (b) => {
      const progress: Progress = (phase, detail) =>
        ctx.progress?.({
          phase,
          elapsed_ms: performance.now() - b.started_at_ms,
          ...(detail ? { detail } : {}),
        });
      const w = await this.#s.where(b);
      const own = { resource_group: w.resource_group, name: w.nic };
      const peer = nicRef(this.spec.peer_nic, w);
      await this.#releasePeer(w, peer, b, progress);
      await this.#addToOwn(w, own, peer, b, progress);
      progress('confirmed', `${this.spec.address} on ${own.name}`);
    });
  }

  /** Nothing to undo: the next active node removes the address from our NIC as its first step. */
  release(ctx: ActionContext): Promise<ActionResult> {
    return runVerb(ctx, this.#s.retry, toActionError, async () => {});
  }

  async observe(ctx: ActionContext): Promise<Observation> {
    const b = budget(ctx.deadline_ms, ctx.signal, this.#s.retry);
    try {
      const w = await this.#s.where(b);
      const [ours, theirs] = await Promise.all([
        withRetry('read our NIC', b, (signal) =>
          this.#nics.get(w, { resource_group: w.resource_group, name: w.nic }, signal),
        ),
        withRetry('read the peer NIC', b, (signal) =>
          this.#nics.get(w, nicRef(this.spec.peer_nic, w), signal),
        ),
      ]);
      if (holds(ours, this.spec.address)) return { target: 'self' };
      if (holds(theirs, this.spec.address)) return { target: 'peer' };
      return { target: 'none' };
    } catch (err) {
      return { target: 'unknown', error: toActionError(err) };
    }
  }

  /** Step 1: the peer's NIC without the floating IP; a no-op when it does not hold it. */
  async #releasePeer(w: Where, peer: NicRef, b: CallBudget, progress: Progress): Promise<void> {
    progress('peer-nic-read', peer.name);
    await withRetry(`remove ${this.spec.address} from ${peer.name}`, b, async (signal) => {
      let nic = await this.#nics.get(w, peer, signal);
      if (!idle(nic)) nic = await this.#nics.settled(w, peer, b, signal, progress, 'peer-nic-busy', true);
      if (!holds(nic, this.spec.address)) return;
      progress('peer-nic-update', `removing ${this.spec.address} from ${peer.name}`);
      const without = {
        ...nic,
        ipConfigurations: (nic.ipConfigurations ?? []).filter(
          (c) => c.privateIPAddress !== this.spec.address,
        ),
      };
      await this.#nics.put(w, peer, without, signal);
      const after = await this.#nics.settled(w, peer, b, signal, progress, 'peer-nic-update');
      if (holds(after, this.spec.address))
        throw new AzureError(
          'AZURE_OPERATION_FAILED',
          'StillHeld',
          `${peer.name} still holds ${this.spec.address}`,
        );
    });
  }

  /**
   * Step 2: our NIC with the floating IP. If the address turns up in the peer's configuration now, the peer
   * claimed after us: yield (never fight), and the arbiter reports the split brain to core.
   */
  async #addToOwn(w: Where, own: NicRef, peer: NicRef, b: CallBudget, progress: Progress): Promise<void> {
    let attempt = 0;
    await withRetry(`add ${this.spec.address} to ${own.name}`, b, async (signal) => {
      if (attempt++ > 0 && holds(await this.#nics.get(w, peer, signal), this.spec.address))
        throw new AzureError(
          'AZURE_PEER_CLAIMED',
          'PeerClaimed',
          `${peer.name} took ${this.spec.address} after our claim began; not fighting (split brain goes to core)`,
        );
      let nic = await this.#nics.get(w, own, signal);
      if (!idle(nic)) nic = await this.#nics.settled(w, own, b, signal, progress, 'own-nic-busy', true);
      if (holds(nic, this.spec.address)) return;
      progress('own-nic-update', `adding ${this.spec.address} to ${own.name}`);
      await this.#nics.put(w, own, this.#withFloating(nic, own), signal);
      const after = await this.#nics.settled(w, own, b, signal, progress, 'own-nic-update');
      if (!holds(after, this.spec.address))
        throw new AzureError(
          'AZURE_OPERATION_FAILED',
          'NotAdded',
          `${own.name} does not show ${this.spec.address} yet`,
        );
    });
  }

  #withFloating(nic: NetworkInterface, own: NicRef): NetworkInterface {
    const configs = nic.ipConfigurations ?? [];
    const primary = primaryOf(nic);
    if (!primary?.subnet?.id)
      throw new AzureError(
        'AZURE_INVALID',
        'NoPrimary',
        `NIC ${own.name} has no primary ipConfiguration with a subnet`,
      );
    const taken = new Set(configs.map((c) => c.name));
    const base = this.spec.ipconfig_name ?? DEFAULT_IPCONFIG_NAME;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
    return {
      ...nic,
      ipConfigurations: [
        ...configs,
        {
          name,
          privateIPAddress: this.spec.address,
          privateIPAllocationMethod: 'Static',
          primary: false,
          subnet: { id: primary.subnet.id },
        },
      ],
    };
  }
}

/** No update running: Succeeded, or Failed (an earlier update failed; our PUT repairs it). */
function idle(nic: NetworkInterface): boolean {
  return nic.provisioningState === 'Succeeded' || nic.provisioningState === 'Failed';
}
