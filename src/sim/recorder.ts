// Every call the simulator answers, with its timing, so tests and benchmarks can see what was called and when.

export type CloudName = 'aws' | 'azure' | 'imds';

export interface CallRecord {
  seq: number;
  cloud: CloudName;
  action: string;
  identity: string | undefined;
  /** Resource ids named by the request (route table, ENI, NIC, ...). */
  resources: string[];
  dry_run: boolean;
  start_ms: number;
  end_ms: number;
  duration_ms: number;
  status: number;
  /** Error code when the call failed (DryRunOperation counts as a failure on the wire). */
  code: string | undefined;
}

export interface CallFilter {
  since_seq?: number;
  action?: string;
  cloud?: CloudName;
  identity?: string;
}

// Bounded so a long rehearsal or a benchmark cannot grow memory without limit (keeps at least the last 100 000).
const CALLS_MAX = 100_000;

export class Recorder {
  private calls: CallRecord[] = [];
  private seq = 0;

  record(call: Omit<CallRecord, 'seq'>): CallRecord {
    const full = { seq: ++this.seq, ...call };
    this.calls.push(full);
    // Trim in chunks so the hot path does not shift the whole array on every call.
    if (this.calls.length > CALLS_MAX + CALLS_MAX / 10) this.calls.splice(0, this.calls.length - CALLS_MAX);
    return full;
  }

  list(filter: CallFilter = {}): CallRecord[] {
    return this.calls.filter(
      (c) =>
        (filter.since_seq === undefined || c.seq > filter.since_seq) &&
        (filter.action === undefined || c.action === filter.action) &&
        (filter.cloud === undefined || c.cloud === filter.cloud) &&
        (filter.identity === undefined || c.identity === filter.identity),
    );
  }

  /** The sequence number of the last call, to list only what happens after a point in a test. */
  last_seq(): number {
    return this.seq;
  }

  clear(): void {
    this.calls = [];
  }
}
