// The routes pathwatch moves, whatever holds them (an AWS route table, a Linux routing table): each set is
// an action (claim = create the failover routes, release = delete ours) that can also say where every
// route stands, which is what the state machine decides from.
import type { Action, ActionContext, ActionResult, Observation } from '../actions/types.js';
import type { RouteView } from './types.js';

export interface PathRoutes extends Action {
  /** One reading of every route of this set; throws when it cannot be made. */
  view(ctx: ActionContext): Promise<RouteView>;
  /** Frees the SDK client; the set is not used afterwards. */
  close(): void;
}

export const EMPTY_VIEW: RouteView = { ours: 0, missing: 0, conflicts: [] };

export function addViews(a: RouteView, b: RouteView): RouteView {
  return {
    ours: a.ours + b.ours,
    missing: a.missing + b.missing,
    conflicts: [...a.conflicts, ...b.conflicts],
  };
}

/** Every set's reading, summed; null with the first error when one set cannot be read. */
export async function viewAll(
  sets: readonly PathRoutes[],
  ctx: ActionContext,
): Promise<{ view: RouteView } | { error: string }> {
  try {
    const views = await Promise.all(sets.map((s) => s.view(ctx)));
    return { view: views.reduce(addViews, EMPTY_VIEW) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs one verb on every set at once; the first failure is the outcome's error. */
export async function runAll(
  sets: readonly PathRoutes[],
  verb: 'claim' | 'release',
  ctx: ActionContext,
): Promise<{ ok: boolean; error?: string; calls: number }> {
  const results: ActionResult[] = await Promise.all(sets.map((s) => s[verb](ctx)));
  const failed = results.find((r) => !r.ok);
  const calls = results.reduce((n, r) => n + r.calls, 0);
  if (failed === undefined || failed.ok) return { ok: true, calls };
  return { ok: false, error: `${failed.error.code}: ${failed.error.message}`, calls };
}

/** The contract's one Observation, from a reading. */
export function observationOf(view: RouteView): Observation {
  if (view.conflicts.length > 0) return { target: 'other', detail: view.conflicts.join('; ') };
  if (view.ours > 0) return { target: 'self' };
  return { target: 'none' };
}
