// keepalived's track_script rise/fall: a verdict that differs from the current one counts only after
// `rise` successes (failed → ok) or `fall` failures (ok → failed) in a row, so one slow run of a health
// script does not fail the node over. The first verdict counts at once: a booting node must not wait.
import type { Probe } from './loop.js';

export function withRiseFall(probe: Probe, rise: number, fall: number): Probe {
  let current: boolean | null = null;
  let streak = 0;
  return async (signal) => {
    const v = await probe(signal);
    if (current === null || v.ok === current) {
      current = v.ok;
      streak = 0;
      return v;
    }
    streak += 1;
    const needed = v.ok ? rise : fall;
    if (streak >= needed) {
      current = v.ok;
      streak = 0;
      return v;
    }
    const word = v.ok ? 'rise' : 'fall';
    return { ok: current, detail: `${v.detail ?? ''} (${streak} of ${needed} for ${word})`.trim() };
  };
}
