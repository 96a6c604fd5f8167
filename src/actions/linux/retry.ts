// Retries one attempt with bounded exponential backoff until it succeeds, fails for good, or the
// context's deadline passes.
import type { ActionContext, ActionError, ActionResult } from '../types.js';

export type Attempt = () => Promise<
  { readonly ok: true } | { readonly ok: false; readonly error: ActionError }
>;

const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 1000;

export async function withRetry(ctx: ActionContext, attempt: Attempt): Promise<ActionResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  let calls = 0;
  let backoff_ms = BACKOFF_FIRST_MS;
  for (;;) {
    calls += 1;
    const r = await attempt();
    if (r.ok) return { ok: true, duration_ms: elapsed(), calls };
    const wait_ms = Math.min(backoff_ms, ctx.deadline_ms - elapsed());
    if (!r.error.retryable || wait_ms <= 0 || ctx.signal?.aborted) {
      return { ok: false, duration_ms: elapsed(), calls, error: r.error };
    }
    await new Promise((resolve) => setTimeout(resolve, wait_ms));
    backoff_ms = Math.min(backoff_ms * 2, BACKOFF_MAX_MS);
  }
}
