// NIC reads and writes with the steps every Azure driver needs: GET, PUT (GET-modify-PUT with If-Match) and
// waiting for the update's operation by reading the NIC's provisioningState back (CLOUD.md §2.3): finer than
// the SDK's poller, whose Retry-After (10 s on real ARM) would see completion late.
import type { NetworkInterface, NetworkInterfaceIPConfiguration } from '@azure/arm-network';
import { type CallBudget, sleep } from '../kit/retry.js';
import type { ActionProgress } from '../types.js';
import { AzureError } from './errors.js';
import type { AzureSession, Where } from './session.js';

/** A NIC by name in a resource group. */
export interface NicRef {
  readonly resource_group: string;
  readonly name: string;
}

/** `name`, or an ARM id (its own resource group). */
export function nicRef(ref: string, w: Where): NicRef {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkInterfaces\/([^/]+)$/i.exec(
    ref,
  );
  return m ? { resource_group: m[1]!, name: m[2]! } : { resource_group: w.resource_group, name: ref };
}

/** Progress is reported at each phase and then at most this often while a phase waits. */
const PROGRESS_EVERY_MS = 5000;

export type Progress = (phase: ActionProgress['phase'], detail?: string) => void;

export class Nics {
  readonly #s: AzureSession;

  constructor(session: AzureSession) {
    this.#s = session;
  }

  get(w: Where, ref: NicRef, signal: AbortSignal): Promise<NetworkInterface> {
    return w.client.networkInterfaces.get(ref.resource_group, ref.name, this.#s.opts(signal));
  }

  /** PUTs the whole NIC (any ipConfiguration left out is deleted) only if its etag still is `etag`. */
  async put(w: Where, ref: NicRef, nic: NetworkInterface, signal: AbortSignal): Promise<void> {
    const o = this.#s.opts(signal);
    await w.client.networkInterfaces.beginCreateOrUpdate(ref.resource_group, ref.name, nic, {
      ...o,
      requestOptions: { ...o.requestOptions, customHeaders: nic.etag ? { 'If-Match': nic.etag } : {} },
    });
    // The poller is dropped: provisioningState is read back by settled().
  }

  /**
   * Reads the NIC until its update is over. Succeeded ⇒ the NIC; Failed ⇒ a retryable error (ARM restored the old
   * configuration, so the step is done again from a fresh read).
   */
  async settled(
    w: Where,
    ref: NicRef,
    b: CallBudget,
    signal: AbortSignal,
    progress: Progress,
    phase: string,
    /** Before our own write: a NIC left Failed by an earlier update is settled (a new PUT repairs it). */
    failed_ok = false,
  ): Promise<NetworkInterface> {
    let told_ms = performance.now();
    for (;;) {
      const nic = await this.get(w, ref, signal);
      const state = nic.provisioningState;
      if (state === 'Succeeded' || (failed_ok && state === 'Failed')) return nic;
      if (state === 'Failed')
        throw new AzureError(
          'AZURE_OPERATION_FAILED',
          'ProvisioningFailed',
          `the update of NIC ${ref.name} failed; trying again`,
        );
      if (performance.now() - told_ms >= PROGRESS_EVERY_MS) {
        told_ms = performance.now();
        progress(phase, `NIC ${ref.name} ${state ?? 'updating'}`);
      }
      if (performance.now() + this.#s.poll_ms >= b.deadline_at_ms)
        throw new AzureError(
          'AZURE_NOT_CONFIRMED',
          'StillUpdating',
          `NIC ${ref.name} still ${state} at the deadline; raise deadline_ms (Azure documents up to 120 s per update)`,
        );
      await sleep(this.#s.poll_ms, signal);
      if (signal.aborted)
        throw new AzureError('AZURE_ABORTED', 'Aborted', `waiting for NIC ${ref.name}: aborted`);
    }
  }
}

export function holds(nic: NetworkInterface, address: string): boolean {
  return (nic.ipConfigurations ?? []).some((c) => c.privateIPAddress === address);
}

export function primaryOf(nic: NetworkInterface): NetworkInterfaceIPConfiguration | undefined {
  return (nic.ipConfigurations ?? []).find((c) => c.primary === true);
}
