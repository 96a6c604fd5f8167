// The shape most scenarios share: break something on node A, watch node B take the traffic, undo it,
// watch preemption bring the traffic back, and the controller say Ready again — each step with a deadline.
import type { ScenarioContext } from '../types.js';

export interface FailoverPlan {
  readonly fail: { readonly text: string; readonly run: () => Promise<void> };
  readonly recover: { readonly text: string; readonly run: () => Promise<void> };
  /** Extra time the failure needs before the survivor may act (the WAN-loss relinquish delay). */
  readonly extra_detection_ms?: number;
  /** Checked once the survivor holds the traffic (e.g. the failed node's own state). */
  readonly afterFailover?: () => Promise<void>;
}

/** Deadlines: generous multiples of the configured timing, never a performance claim. */
export function deadlines(ctx: ScenarioContext, extra_ms = 0) {
  const t = ctx.timing;
  return {
    detect_ms: 4 * t.dead_ms + extra_ms + 5000,
    traffic_ms: 4 * t.dead_ms + extra_ms + 15_000 + 20 * t.api_latency_ms,
    ready_ms: 8 * t.dead_ms + 30_000,
  };
}

export async function failoverAndBack(ctx: ScenarioContext, plan: FailoverPlan): Promise<void> {
  const d = deadlines(ctx, plan.extra_detection_ms ?? 0);
  const { b } = ctx.agents;
  const failAt = ctx.act(plan.fail.text);
  await plan.fail.run();
  await ctx.until('node-b takes over (active)', d.detect_ms, () => b.state === 'active');
  ctx.figure('detection_ms', (b.entered('active', failAt) ?? Date.now()) - failAt);
  const movedAt = await ctx.until(
    ctx.rig.trafficText('b'),
    d.traffic_ms,
    async () => (await ctx.rig.observeTraffic()) === 'b',
  );
  ctx.figure(ctx.rig.traffic_figure, movedAt - failAt);
  // The controller's failover event, with the claim time node-b itself reported (not a lab measurement).
  await ctx.until("controller: failover event with node-b's claim time", d.ready_ms, async () =>
    (await ctx.controller.events()).some(
      (e) => e.type === 'failover' && typeof e.details.claim_ms === 'number',
    ),
  );
  await plan.afterFailover?.();
  const recoverAt = ctx.act(plan.recover.text);
  await plan.recover.run();
  await backToPrimary(ctx, recoverAt, 'node-a active again, node-b standby (preemption)', d);
}

/** From `since`: node-a active and node-b standby, the traffic at node-a, the controller Ready again. */
export async function backToPrimary(
  ctx: ScenarioContext,
  since: number,
  what: string,
  d: ReturnType<typeof deadlines> = deadlines(ctx),
): Promise<void> {
  const { a, b } = ctx.agents;
  await ctx.until(what, d.ready_ms, () => a.state === 'active' && b.state === 'standby');
  const backAt = await ctx.until(
    ctx.rig.trafficText('a'),
    d.traffic_ms,
    async () => (await ctx.rig.observeTraffic()) === 'a',
  );
  ctx.figure('failback_ms', backAt - since);
  const readyAt = await waitReady(ctx, 'controller: Ready again', d.ready_ms);
  ctx.figure('ready_again_ms', readyAt - since);
}

/** Both agents settled (their last claim/release done), the traffic at the primary, the controller Ready. */
export async function waitReady(ctx: ScenarioContext, name: string, deadline_ms: number): Promise<number> {
  return ctx.until(name, deadline_ms, async () => {
    const { a, b } = ctx.agents;
    if (a.state !== 'active' || b.state !== 'standby') return false;
    // A claim still confirming (a slow API) could land after the next failure starts.
    if (!a.settled || !b.settled) return false;
    if ((await ctx.rig.observeTraffic()) !== 'a') return false;
    return (await ctx.controller.status()).ready;
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
