// The controller's tunables, with the reference document's numbers as defaults.
export interface Settings {
  /** A node silent this long is stale: Not Ready, and an event. */
  readonly stale_after_ms: number;
  /** A failover event only when the secondary stays active longer than this (the 35 s rule). */
  readonly failover_after_ms: number;
  /**
   * Past that, the failover event still waits this long for claims the secondary reports running (an Azure
   * floating-IP move is two NIC updates of up to 120 s each), so that it says how long the move took.
   */
  readonly failover_claim_wait_ms: number;
  /**
   * A split brain is an event only when both nodes stay active longer than this, so a
   * make-before-break switchover (the new active claims a moment before the old one releases) is not.
   */
  readonly split_brain_after_ms: number;
  /** A one-time enrollment token is valid this long. */
  readonly enrollment_ttl_ms: number;
  /** Stored reports older than this are deleted by the sweep (the node keeps its latest status). */
  readonly report_retention_ms: number;
}

export const DEFAULT_SETTINGS: Settings = {
  stale_after_ms: 30_000,
  failover_after_ms: 35_000,
  failover_claim_wait_ms: 300_000,
  split_brain_after_ms: 5000,
  enrollment_ttl_ms: 7 * 24 * 3600_000,
  report_retention_ms: 3600_000,
};
