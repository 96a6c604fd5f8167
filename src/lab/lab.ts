// The orchestrator: start the cloud, the controller and two agents, wait for Ready, run one scenario with
// a deadline on every step, measure, print the summary, and always clean up what it started.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixRequest } from '../agent/unix-forward.js';
import { type AgentLine, LabAgent } from './agents.js';
import { type LabController, startLabController } from './controller.js';
import { LabError, StepFailedError } from './errors.js';
import { NODE_NAMES, type NodeFiles, writeNodes } from './nodes.js';
import { CLOUDS, SCENARIOS } from './registry.js';
import { waitReady } from './scenarios/common.js';
import { type LabSummary, printSummary } from './summary.js';
import { Timeline } from './timeline.js';
import type { CloudRig, LabOptions, LabTiming, NodeName, ScenarioContext } from './types.js';

export interface LabIo {
  readonly write: (text: string) => void;
  readonly tty: boolean;
}

const DEAD_MULTIPLIER = 3;

export function timingOf(o: LabOptions): LabTiming {
  return {
    interval_ms: o.interval_ms,
    dead_multiplier: DEAD_MULTIPLIER,
    dead_ms: o.interval_ms * DEAD_MULTIPLIER,
    // The reference's 10 s, scaled with the lab's interval so the demo stays short (printed at start).
    wan_loss_relinquish_ms: Math.max(1000, 10 * o.interval_ms),
    api_latency_ms: o.api_latency_ms,
  };
}

/** Checks the options before anything starts; throws LabError with what to do. */
export function validate(o: LabOptions): void {
  const cloud = CLOUDS[o.cloud];
  if (!cloud)
    throw new LabError(
      'unknown-cloud',
      `unknown --cloud "${o.cloud}"; expected one of ${Object.keys(CLOUDS).join(', ')}`,
    );
  const scenario = SCENARIOS[o.scenario];
  if (!scenario)
    throw new LabError(
      'unknown-scenario',
      `unknown --scenario "${o.scenario}"; expected one of ${Object.keys(SCENARIOS).join(', ')}`,
    );
  if (!scenario.supports(o.cloud))
    throw new LabError('unsupported', `scenario ${o.scenario} does not apply to --cloud ${o.cloud}`);
  const why = cloud.unavailable();
  if (why !== null) throw new LabError('unavailable', why);
}

export async function runLab(o: LabOptions, io: LabIo, signal: AbortSignal): Promise<LabSummary> {
  validate(o);
  const cloud = CLOUDS[o.cloud]!;
  const scenario = SCENARIOS[o.scenario]!;
  const timing = timingOf(o);
  const timeline = new Timeline({ tty: io.tty && !o.json, write: io.write });
  const dir = mkdtempSync(join(tmpdir(), 'tdlab-'));
  // Whatever way the process ends (a second Ctrl-C exits at once), the folder goes with it.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const figures: Record<string, number> = {};
  const summary: LabSummary = {
    cloud: o.cloud,
    scenario: o.scenario,
    interval_ms: o.interval_ms,
    figures,
    events_by_type: {},
    api_name: null,
    api_test: null,
    steps_failed: 0,
    failed_step: null,
  };
  let rig: CloudRig | null = null;
  let controller: LabController | null = null;
  const agents: Partial<Record<NodeName, LabAgent>> = {};
  const cleanup = async (): Promise<void> => {
    timeline.close();
    await Promise.all(Object.values(agents).map((a) => a.kill('SIGKILL')));
    await controller?.close().catch(() => undefined);
    await rig?.stop().catch(() => undefined);
    removeDir();
    process.off('exit', removeDir);
  };
  try {
    timeline.plain(`tandem lab — ${cloud.summary}`);
    timeline.plain(
      `scenario ${scenario.name}: ${scenario.summary}\n` +
        `keepalive every ${timing.interval_ms} ms, takeover after ${timing.dead_ms} ms of silence` +
        (o.scenario === 'wan-loss' ? `, WAN-loss relinquish after ${timing.wan_loss_relinquish_ms} ms` : ''),
    );
    rig = await cloud.start({ dir, timing, timeline, monitors: scenario.monitors ?? [] });
    summary.api_name = rig.api_name;
    for (const line of rig.describe) timeline.line(line);
    controller = await startLabController(dir, timing, {
      kind: rig.site.kind,
      ...(rig.site.cloud ? { cloud: rig.site.cloud } : {}),
      nodes: {
        primary: { mgmt_ip: rig.nodeParts('a').mgmt_ip, subnet: rig.nodeParts('a').subnet },
        secondary: { mgmt_ip: rig.nodeParts('b').mgmt_ip, subnet: rig.nodeParts('b').subnet },
      },
    });
    timeline.line(
      `controller at ${controller.url} (SQLite in ${dir}), webhook receiver ${controller.webhook_url}`,
    );
    const files = writeNodes(dir, rig, controller, timing);
    const onLine = (agent: LabAgent, line: AgentLine) => narrate(timeline, agent, line);
    for (const node of ['a', 'b'] as const) agents[node] = new LabAgent(node, NODE_NAMES[node], onLine);
    const all = agents as Record<NodeName, LabAgent>;
    const start = (node: NodeName): void => {
      const f = files[node];
      all[node].attach(rig!.spawn(node, f.argv, f.env));
    };
    const ctx = scenarioContext({
      rig,
      controller,
      agents: all,
      timeline,
      timing,
      files,
      figures,
      start,
      signal,
      deadline_scale: o.deadline_scale,
    });
    // The primary first, as an operator brings a pair up: two nodes booting at once can both claim, and
    // the loser's slow claim may land after the winner's (see docs/lab.md, known issues).
    start('a');
    await ctx.until('node-a up and active', 45_000, () => all.a.state === 'active' && all.a.settled);
    start('b');
    await waitReady(
      ctx,
      'pair up: node-a active, node-b standby, traffic at node-a, controller Ready',
      45_000,
    );
    await controllerSteps(ctx, rig, controller, all, summary);
    timeline.zero();
    timeline.line('Ready — the scenario starts');
    await scenario.run(ctx);
    timeline.line(`scenario ${scenario.name} done`);
    summary.events_by_type = await collect(ctx, figures);
  } catch (err) {
    if (!(err instanceof StepFailedError)) {
      await cleanup();
      throw err;
    }
    summary.steps_failed = 1;
    summary.failed_step = err.message;
    timeline.line(`FAILED: ${err.message}`);
    for (const a of Object.values(agents)) {
      const tail = a.stderrTail();
      if (tail) timeline.plain(`  ${a.name} stderr: ${tail}`);
    }
    if (controller && rig)
      summary.events_by_type = await collect({ controller, rig }, figures).catch(() => ({}));
  }
  timeline.close();
  printSummary(summary, rig?.traffic_figure ?? 'routes_confirmed_ms', io.write, o.json);
  if (!o.json && !o.keep && summary.steps_failed === 0)
    io.write(
      `\nmore: --scenario ${Object.keys(SCENARIOS)
        .filter((n) => n !== o.scenario)
        .join(' | ')}` +
        `${o.cloud === 'aws' ? ', sudo … --cloud physical' : ''}, --keep to explore the controller (docs/lab.md)\n`,
    );
  if (o.keep && controller && summary.steps_failed === 0) {
    io.write(
      `\nleft running (Ctrl-C to stop and clean up):\n` +
        `  controller  ${controller.url}\n  admin token ${controller.admin_token}\n  viewer token ${controller.viewer_token}\n` +
        `  site        ${controller.site_id}\n  folder      ${dir}\n`,
    );
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  await cleanup();
  return summary;
}

interface ContextParts {
  readonly rig: CloudRig;
  readonly controller: LabController;
  readonly agents: Record<NodeName, LabAgent>;
  readonly timeline: Timeline;
  readonly timing: LabTiming;
  readonly files: Record<NodeName, NodeFiles>;
  readonly figures: Record<string, number>;
  readonly start: (node: NodeName) => void;
  readonly signal: AbortSignal;
  readonly deadline_scale: number;
}

function scenarioContext(p: ContextParts): ScenarioContext {
  const until = async (name: string, nominal_ms: number, check: () => boolean | Promise<boolean>) => {
    const deadline_ms = Math.max(1, Math.round(nominal_ms * p.deadline_scale));
    const waiting = p.timeline.wait(name, deadline_ms);
    const end = Date.now() + deadline_ms;
    try {
      for (;;) {
        if (p.signal.aborted) throw new StepFailedError(name, deadline_ms, 'interrupted');
        const at = Date.now();
        if (await check()) {
          waiting.done();
          p.timeline.line(`✓ ${name}`, at);
          return at;
        }
        if (Date.now() > end) throw new StepFailedError(name, deadline_ms, stateLine(p.agents));
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      waiting.done();
    }
  };
  return {
    rig: p.rig,
    agents: p.agents,
    controller: p.controller,
    timeline: p.timeline,
    timing: p.timing,
    until,
    figure: (name, value) => {
      p.figures[name] = Math.round(value);
    },
    act: (text) => {
      const at = Date.now();
      p.timeline.line(`▶ ${text}`, at);
      return at;
    },
    restart: async (node) => {
      p.start(node);
    },
    switchover: async (node) => {
      // What `tandem switchover` sends: POST /admin/switchover with the node's admin token.
      const name = `tandem switchover on ${p.agents[node].name}`;
      const f = p.files[node];
      const token = readFileSync(f.admin_token_file, 'utf8').trim();
      const res = await unixRequest(f.status_socket, 'POST', '/admin/switchover', {
        authorization: `Bearer ${token}`,
      }).catch((err: Error) => ({ status: 0, body: err.message }));
      p.timeline.line(`  ${name} → HTTP ${res.status} ${res.body.trim()}`);
      if (res.status < 200 || res.status >= 300) throw new StepFailedError(name, 0, res.body.trim());
    },
  };
}

/**
 * What the controller manages, rehearsed before the scenario: a settings change in the controller reaches
 * both agents (timed), and the API test asks both nodes to run their preflight.
 */
async function controllerSteps(
  ctx: ScenarioContext,
  rig: CloudRig,
  controller: LabController,
  agents: Record<NodeName, LabAgent>,
  summary: LabSummary,
): Promise<void> {
  const change = rig.site.change;
  if (change !== undefined) {
    const at = ctx.act(`controller: ${change.what}`);
    const version = await controller.patchCloud(change.cloud);
    const applied = (a: LabAgent): number | null => {
      const line = a.lines.find(
        (l) => l.msg === 'managed settings applied' && Number(l.settings_version) >= version,
      );
      return typeof line?.time === 'number' ? line.time : null;
    };
    const done = await ctx.until(`both agents apply settings v${version}`, 15_000, () =>
      [agents.a, agents.b].every((a) => applied(a) !== null),
    );
    ctx.figure('settings_applied_ms', Math.max(applied(agents.a) ?? done, applied(agents.b) ?? done) - at);
  }
  ctx.act('controller: API test (both nodes run their preflight now)');
  const test = await controller.apiTest();
  summary.api_test = { primary: test.primary, secondary: test.secondary };
  ctx.timeline.line(`  API test: primary ${test.primary}, secondary ${test.secondary}`);
  if (test.primary !== 'ok' || test.secondary !== 'ok')
    throw new StepFailedError('API test: both nodes OK', 15_000, JSON.stringify(test));
}

async function collect(
  ctx: { controller: LabController; rig: CloudRig },
  figures: Record<string, number>,
): Promise<Record<string, number>> {
  // The pair keeps reporting while we read: take the events first, then wait (bounded) for their
  // notifications, which go out through the outbox within a poll or two.
  const events = await ctx.controller.events();
  const last_id = Math.max(0, ...events.map((e) => e.id));
  const end = Date.now() + 5000;
  let n = await ctx.controller.notifications(last_id);
  while (n.pending > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    n = await ctx.controller.notifications(last_id);
  }
  figures.events = events.length;
  // The claim time the controller recorded from the survivor's own report.
  const failover = events.find((e) => e.type === 'failover' && typeof e.details.claim_ms === 'number');
  if (failover !== undefined) figures.controller_claim_ms = failover.details.claim_ms as number;
  // A long claim's confirmed phase (the floating IP on the survivor's NIC), as the agent reported it.
  const confirmed = ((failover?.details.claims ?? []) as { confirmed_ms?: number | null }[])
    .map((c) => c.confirmed_ms)
    .filter((v): v is number => typeof v === 'number');
  if (confirmed.length > 0) figures.controller_confirmed_ms = Math.max(...confirmed);
  figures.notifications = n.sent;
  figures.notifications_received = n.received;
  const calls = ctx.rig.apiCalls();
  if (calls !== null) figures.api_calls = calls;
  const byType = new Map<string, number>();
  for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  return Object.fromEntries(byType);
}

function stateLine(agents: Record<NodeName, LabAgent>): string {
  return `node-a is ${agents.a.state}, node-b is ${agents.b.state}`;
}

/** The agents' log lines worth a line of the story. */
function narrate(timeline: Timeline, agent: LabAgent, line: AgentLine): void {
  const at = typeof line.time === 'number' ? line.time : Date.now();
  const who = agent.name.padEnd(7);
  switch (line.msg) {
    case 'state change':
      timeline.line(`${who} ${String(line.from)} → ${String(line.to)}  (${String(line.reason ?? '')})`, at);
      return;
    case 'action done':
      timeline.line(
        `${who} ${String(line.verb)} ${String(line.action)}: done in ${String(line.duration_ms)} ms`,
        at,
      );
      return;
    case 'action failed':
      timeline.line(
        `${who} ${String(line.verb)} ${String(line.action)}: FAILED ${JSON.stringify(line.error ?? '')}`,
        at,
      );
      return;
    case 'enrolled with the controller':
      timeline.line(`${who} enrolled with the controller (one-time token)`, at);
      return;
    default:
      if (
        typeof line.msg === 'string' &&
        (/^\w+ arbiter: /.test(line.msg) ||
          line.msg.includes('split brain') ||
          line.msg === 'action progress')
      )
        timeline.line(
          line.msg === 'action progress'
            ? `${who} ${String(line.action)}: ${String(line.phase)} after ${String(line.elapsed_ms)} ms${line.detail ? ` (${String(line.detail)})` : ''}`
            : `${who} ${line.msg}`,
          at,
        );
  }
}
