// Monitors only report what they see; the agent turns readings into core inputs.

export type Reading =
  /** Carrier and operstate of the HA port. */
  | { readonly kind: 'link'; readonly name: string; readonly up: boolean; readonly detail?: string }
  /** One WAN probe's latest verdict (after its own timeout); the agent applies "all failed". */
  | { readonly kind: 'wan-probe'; readonly name: string; readonly ok: boolean; readonly detail?: string }
  /** A user check command's verdict (exit code 0 = ok). */
  | { readonly kind: 'check'; readonly name: string; readonly ok: boolean; readonly detail?: string };

export interface Monitor {
  readonly name: string;
  /** Starts probing; calls `report` on every verdict (the agent de-duplicates). */
  start(report: (reading: Reading) => void): void;
  stop(): Promise<void>;
}
