// One probe round → a path verdict, by the configured rule. Pure; the loss window is carried by the caller.
import type { PathVerdict, Round, Rule } from './types.js';

export interface Tally {
  readonly sent: number;
  readonly received: number;
}

export interface Judged {
  readonly verdict: PathVerdict;
  /** The loss window after this round (only the `loss` rule keeps more than one). */
  readonly window: readonly Tally[];
}

export function judge(rule: Rule, round: Round, window: readonly Tally[]): Judged {
  const sent = sum(round.targets.map((t) => t.sent));
  const received = sum(round.targets.map((t) => t.received));
  const failed = round.targets.filter((t) => t.received === 0).map((t) => t.target);
  const rtts = round.targets.flatMap((t) => t.rtt_ms);
  const base = {
    loss_pct: sent === 0 ? 100 : round2((100 * (sent - received)) / sent),
    rtt_ms: rtts.length === 0 ? null : round2(sum(rtts) / rtts.length),
    failed,
  };
  switch (rule.kind) {
    case 'all':
      return { verdict: { ...base, up: failed.length < round.targets.length }, window: [] };
    case 'any':
      return { verdict: { ...base, up: failed.length === 0 }, window: [] };
    case 'loss': {
      const next = [...window, { sent, received }].slice(-rule.window_rounds);
      const s = sum(next.map((t) => t.sent));
      const lost_pct = s === 0 ? 100 : (100 * (s - sum(next.map((t) => t.received)))) / s;
      return { verdict: { ...base, up: lost_pct <= rule.percent }, window: next };
    }
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
