// Reading the prober's replies: outages (gaps between consecutive replies) and who answered when.

export interface Reply {
  /** Wall-clock ms when the reply arrived at the client. */
  readonly t: number;
  readonly seq: number;
  readonly node: string;
}

/** The longest time without any reply, among gaps that end after `from_ms` and start before `to_ms`. */
export function longestGap(replies: readonly Reply[], from_ms: number, to_ms: number): number {
  let worst = 0;
  for (let i = 1; i < replies.length; i++) {
    const prev = replies[i - 1] as Reply;
    const cur = replies[i] as Reply;
    if (cur.t < from_ms || prev.t > to_ms) continue;
    worst = Math.max(worst, cur.t - prev.t);
  }
  return worst;
}

/** The first reply from `node` at or after `after_ms`. */
export function firstReplyFrom(replies: readonly Reply[], node: string, after_ms: number): Reply | undefined {
  return replies.find((r) => r.t >= after_ms && r.node === node);
}

/** How many times the answering node changed within [from_ms, to_ms]. */
export function responderChanges(replies: readonly Reply[], from_ms: number, to_ms: number): number {
  let changes = 0;
  let last: string | undefined;
  for (const r of replies) {
    if (r.t < from_ms || r.t > to_ms) continue;
    if (last !== undefined && r.node !== last) changes += 1;
    last = r.node;
  }
  return changes;
}
