// One running agent: config → stale claims removed → sockets bound → monitors → core started.
// Stopping gracefully hands the role over at once (relinquish keepalive) instead of waiting for detection.
import type { Logger } from 'pino';
import { type ActionChecks, preflightAll } from '../actions/kit/preflight-report.js';
import { Notifier, type StateChange } from '../actions/notify.js';
import type { Action } from '../actions/types.js';
import { VERSION } from '../cli/version.js';
import {
  type AdminCommand,
  type Advert,
  type CoreConfig,
  type Input,
  parseSemVer,
  type Readiness,
} from '../core/index.js';
import type { Monitor, Reading } from '../monitors/types.js';
import { nodeIdOf } from '../wire/index.js';
import { type ActionOutcome, ActionRunner, type InFlight } from './action-runner.js';
import type { AgentConfig, ConfigIssue } from './config.js';
import type { PluginSpec } from './config-schema.js';
import { createMetrics, type Inventory } from './metrics.js';
import { raisePriority } from './priority.js';
import { Readings } from './readings.js';
import { reloadIssues, sameSpec } from './reload.js';
import { type AdminVerdict, type Clock, Shell, type StatusReporter } from './shell.js';
import { type StatusServer, startStatusServer } from './status-server.js';
import { Transport } from './transport.js';

/** What an action may tell the agent besides its results: where it saw the traffic point (for core). */
export interface ActionHooks {
  observed(target: 'self' | 'peer'): void;
  /** An arbiter put the traffic back at us after drift (a hand edit): the controller reports it. */
  repaired?(action: string, detail: string, ok: boolean): void;
}

/** Where actions and monitors come from: the Linux and cloud registries. */
export interface Plugins {
  createAction(spec: PluginSpec, hooks?: ActionHooks): Action;
  createMonitor(spec: PluginSpec): Monitor;
  /** Removes what a previous life of this node left claimed (a VIP still on the interface). */
  removeStaleClaims?(specs: readonly PluginSpec[], log: Logger): Promise<void>;
}

export interface AgentDeps {
  readonly plugins: Plugins;
  readonly log: Logger;
  readonly reporter?: StatusReporter;
  readonly clock?: Clock;
  /** Every claim / release outcome (the controller reports them). */
  readonly onAction?: (outcome: ActionOutcome) => void;
  /** A running claim or release entered a new phase (long operations): the controller hears of it now. */
  readonly onPhase?: () => void;
  /** Every drift repair an action's arbiter made. */
  readonly onRepair?: (repair: { action: string; detail: string; ok: boolean }) => void;
  /** Start disabled (a node its controller unassigned): it never claims until enabled. */
  readonly start_disabled?: boolean;
}

export interface RunningAgent {
  readonly statusUrl: string;
  readonly shell: Shell;
  /** The configuration in force (the last one applied). */
  config(): AgentConfig;
  /**
   * Applies a new configuration without a restart and without touching the role: the actions are
   * rebuilt and swapped in between verbs; an active node claims again so the new targets point at it.
   * Only the actions may differ (what managed settings and a reload change); anything else is refused
   * whole, before any part is applied.
   */
  reconfigure(next: AgentConfig): Promise<void>;
  /** Runs every action's preflight now. */
  preflight(deadline_ms: number): Promise<ActionChecks[]>;
  /** An operator command; the refusal reason, or null when the core took it. */
  admin(command: AdminCommand): AdminVerdict;
  /** Every WAN probe's latest verdict. */
  wan(): { name: string; up: boolean }[];
  /** The claims and releases running now, at their latest phase. */
  inFlight(): InFlight[];
  /** SIGTERM: if active, release and announce relinquish so the peer takes over now; then close. */
  shutdown(): Promise<void>;
  /**
   * SIGHUP with a config that loaded: applied in place (the role and the traffic stay), or refused
   * whole with the keys that need a restart. Returns the issues; empty when applied.
   */
  reload(next: AgentConfig): readonly ConfigIssue[];
}

/** Bounds how long a stopping agent waits for its `stopped` notification. */
const NOTIFY_AT_STOP_MS = 500;

/** A reconfiguration (managed settings) that the running agent refused whole; nothing was applied. */
export class ReconfigureError extends Error {
  readonly code = 'RECONFIGURE_REFUSED';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`refused: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Bounds the graceful stop so that a service manager's SIGTERM → SIGKILL window is never reached. */
const SHUTDOWN_ACTIONS_MS = 800;

export function coreConfigOf(cfg: AgentConfig): CoreConfig {
  return {
    node_id: nodeIdOf(cfg.node),
    role: cfg.role,
    priority: cfg.priority,
    interval_ms: cfg.interval_ms,
    dead_multiplier: cfg.dead_multiplier,
    preempt: cfg.preempt,
    preempt_delay_ms: cfg.preempt_delay_ms,
    ha_link: cfg.ha_link,
    wan_loss_relinquish_ms: cfg.wan_loss_relinquish_ms,
    paths: cfg.paths.map((p) => p.name),
    version: parseSemVer(VERSION) ?? { major: 0, minor: 0, patch: 0 },
  };
}

export async function startAgent(cfg: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const { log, plugins } = deps;
  raisePriority(cfg.nice, cfg.realtime_priority, log);
  const clock = deps.clock ?? { now_ms: () => performance.now() };
  let shell: Shell | null = null;
  const early: Input[] = [];
  const push = (input: Input): void => {
    if (shell === null) early.push(input);
    else shell.input(input);
  };
  // The cloud as arbiter: an action that sees the traffic at the peer while we are active tells core.
  const hooks: ActionHooks = {
    observed: (target) => push({ kind: 'observed', target }),
    repaired: (action, detail, ok) => deps.onRepair?.({ action, detail, ok }),
  };
  let actions = cfg.actions.map((spec) => ({ spec, action: plugins.createAction(spec, hooks) }));
  let monitors = cfg.monitors.map((spec) => ({ spec, monitor: plugins.createMonitor(spec) }));

  // Before anything else: a VIP left by a killed predecessor would answer ARP next to the real owner.
  await plugins.removeStaleClaims?.(cfg.actions, log);

  const started_ms = clock.now_ms();
  const metrics = createMetrics(
    {
      status: () => shell?.status() ?? null,
      inState_ms: () => shell?.inState_ms() ?? 0,
      peerSilence: () => silenceSeconds(shell, clock, started_ms),
    },
    inventoryOf(cfg, actions, monitors),
    { runtime: true },
  );
  const runner = new ActionRunner(
    actions.map((a) => a.action),
    cfg.action_deadline_ms,
    metrics,
    log,
    deps.onAction,
    deps.onPhase,
  );
  const transport = await Transport.open(
    {
      pair: cfg.pair,
      node: cfg.node,
      paths: cfg.paths,
      key: cfg.pair_key,
      next_key: cfg.pair_key_next,
      copies: cfg.keepalive_copies,
      spacing_ms: cfg.keepalive_spacing_ms,
      max_clock_skew_ms: cfg.max_clock_skew_ms,
      metrics,
      log,
      onPathDeaf: (path, deaf) => push({ kind: 'path-deaf', path, deaf }),
      stalled: () => shell?.stalled ?? false,
    },
    // Keepalives heard before the core starts are dropped: the core's first input must be `start`.
    (heard) => shell?.input({ kind: 'keepalive', path: heard.path, advert: heard.advert }),
  );
  const readings = new Readings(cfg.ha_port_monitor, push);
  const onReading = (r: Reading): void => {
    metrics.monitorReading(r.name, r.kind === 'link' ? r.up : r.ok);
    readings.onReading(r);
  };
  for (const m of monitors) m.monitor.start(onReading);
  let current = cfg;
  let notifier = notifierOf(cfg);

  const started = new Shell({
    core: coreConfigOf(cfg),
    clock,
    // Held at most half a dead interval: the peer must not take our silence for death meanwhile.
    send: announceAfterRelease(runner, (cfg.interval_ms * cfg.dead_multiplier) / 2, (advert) =>
      transport.send(advert),
    ),
    act: (verb, held) => runner.intend(verb, held),
    settle: () => transport.settle(),
    metrics,
    log,
    onEvent: (event) => {
      if (event.kind === 'deaf') transport.reresolve();
      else if (event.kind === 'path-down') transport.reresolveWhenHeard(event.path);
    },
    onStateChange: (change) => notifyChange(notifier, change, log),
    ...(deps.reporter ? { reporter: deps.reporter } : {}),
  });
  started.input({ kind: 'start' });
  // Before any timer can fire: an unassigned node must never claim, not even once at start.
  if (deps.start_disabled) started.input({ kind: 'admin', command: 'disable' });
  shell = started;
  for (const input of early.splice(0)) started.input(input);

  let server: StatusServer;
  try {
    server = await startStatusServer({
      listen: cfg.status.listen,
      admin_token_file: cfg.status.admin_token_file,
      metrics,
      source: {
        snapshot: () => snapshotOf(current, started, clock, readings, runner, transport),
        admin: (command: AdminCommand) => {
          log.info({ command }, 'admin command');
          return started.admin(command);
        },
      },
    });
  } catch (err) {
    started.stop();
    await transport.close();
    await Promise.all(monitors.map((m) => m.monitor.stop()));
    throw err;
  }
  log.info({ status_url: server.url, paths: cfg.paths.map((p) => p.name) }, 'agent started');

  const reload = (next: AgentConfig): readonly ConfigIssue[] => {
    const refused = reloadIssues(current, next);
    if (refused.length > 0) return refused;
    const keptMonitors = monitors.filter((m) => next.monitors.some((spec) => sameSpec(spec, m.spec)));
    for (const m of monitors.filter((m) => !keptMonitors.includes(m))) {
      void m.monitor.stop();
      readings.forget(m.monitor.name);
    }
    monitors = next.monitors.map(
      (spec) => keptMonitors.find((m) => sameSpec(m.spec, spec)) ?? startMonitor(plugins, spec, onReading),
    );
    const dropped = actions.filter((a) => !next.actions.some((spec) => sameSpec(spec, a.spec)));
    actions = next.actions.map(
      (spec) =>
        actions.find((a) => sameSpec(a.spec, spec)) ?? { spec, action: plugins.createAction(spec, hooks) },
    );
    const holding = started.status().state === 'active';
    runner.reconcile(
      actions.map((a) => a.action),
      holding,
      next.action_deadline_ms,
    );
    // A dropped action lets go of its clients and armed processes once its release has run.
    void runner.idle(next.action_deadline_ms).then(() => {
      for (const a of dropped) a.action.close?.();
    });
    transport.reconfigure({
      key: next.pair_key,
      next_key: next.pair_key_next,
      copies: next.keepalive_copies,
      spacing_ms: next.keepalive_spacing_ms,
      max_clock_skew_ms: next.max_clock_skew_ms,
    });
    notifier = notifierOf(next);
    metrics.inventory(inventoryOf(next, actions, monitors));
    log.level = next.log_level;
    started.input({ kind: 'reconfigure', config: coreConfigOf(next) });
    current = next;
    log.info(
      { monitors: monitors.map((m) => m.monitor.name), actions: actions.map((a) => a.action.name), holding },
      'config reloaded',
    );
    return [];
  };

  let stopping: Promise<void> | null = null;
  const shutdown = async (): Promise<void> => {
    const status = started.status();
    const wasActive = status.state === 'active';
    log.info({ was_active: wasActive }, 'stopping');
    // `disable` makes the core release and announce relinquish; the peer takes over on that packet.
    started.input({ kind: 'admin', command: 'disable' });
    if (wasActive) runner.intend('release');
    // The relinquish goes out once the VIP is gone (announceAfterRelease), then the socket is flushed.
    const settled = await runner.settle(SHUTDOWN_ACTIONS_MS);
    if (!settled) log.warn({ timeout_ms: SHUTDOWN_ACTIONS_MS }, 'actions still running at shutdown; aborted');
    await new Promise((r) => setImmediate(r));
    await transport.flush();
    started.stop();
    notifyChange(notifier, { from: started.status().state, to: 'stopped', reason: 'agent stopping' }, log);
    await notifier?.drain(NOTIFY_AT_STOP_MS);
    for (const action of runner.actions) action.close?.();
    await Promise.allSettled([transport.close(), server.close(), ...monitors.map((m) => m.monitor.stop())]);
    log.info('stopped');
  };
  // Managed settings take the same path as a reload: one apply function, refused whole or applied.
  const reconfigure = async (next: AgentConfig): Promise<void> => {
    const issues = reload(next);
    if (issues.length > 0) throw new ReconfigureError(issues);
  };
  return {
    statusUrl: server.url,
    shell: started,
    config: () => current,
    reconfigure,
    preflight: (deadline_ms) => preflightAll(runner.actions, deadline_ms),
    admin: (command) => {
      log.info({ command }, 'admin command');
      return started.admin(command);
    },
    wan: () => Object.entries(readings.snapshot().wan).map(([name, up]) => ({ name, up })),
    inFlight: () => runner.inFlight(),
    shutdown: () => {
      stopping ??= shutdown();
      return stopping;
    },
    reload,
  };
}

function startMonitor(
  plugins: Plugins,
  spec: PluginSpec,
  onReading: (r: Reading) => void,
): { spec: PluginSpec; monitor: Monitor } {
  const monitor = plugins.createMonitor(spec);
  monitor.start(onReading);
  return { spec, monitor };
}

/** The names the metrics initialise at zero: paths, actions and monitors as they run now. */
function inventoryOf(
  cfg: AgentConfig,
  actions: readonly { action: Action }[],
  monitors: readonly { spec: PluginSpec; monitor: Monitor }[],
): Inventory {
  return {
    paths: cfg.paths.map((p) => p.name),
    actions: actions.map((a) => a.action.name),
    monitors: monitors.map((m) => ({ name: m.monitor.name, kind: m.spec.kind })),
  };
}

function notifierOf(cfg: AgentConfig): Notifier | null {
  const n = cfg.notify;
  if (n === null) return null;
  return new Notifier({
    pair: cfg.pair,
    node: cfg.node,
    role: cfg.role,
    commands: n.commands,
    timeout_ms: n.timeout_ms,
    ...(n.states === null ? {} : { states: n.states }),
    ...(n.uid === null ? {} : { uid: n.uid }),
    ...(n.gid === null ? {} : { gid: n.gid }),
  });
}

/** Fired and forgotten by the core's path; each command's outcome is logged when it is known. */
function notifyChange(notifier: Notifier | null, change: StateChange, log: Logger): void {
  if (notifier === null || !notifier.wants(change.to)) return;
  void notifier.notify(change).then((outcomes) => {
    for (const o of outcomes)
      if (o.ok) log.info({ command: o.command, to: change.to, duration_ms: o.duration_ms }, 'notify done');
      else
        log.warn(
          { command: o.command, to: change.to, code: o.code, error: o.message, duration_ms: o.duration_ms },
          'notify failed',
        );
  });
}

/**
 * Break before make: a node that steps down announces it only once its release is done (at most half
 * a dead interval later), because the peer claims on hearing it — a VIP on both nodes would answer ARP twice.
 * Only the latest advert is kept meanwhile.
 */
function announceAfterRelease(
  runner: ActionRunner,
  hold_max_ms: number,
  send: (advert: Advert) => void,
): (advert: Advert) => void {
  let held: Advert | null = null;
  return (advert) => {
    if (advert.state === 'active' || !runner.releasing) {
      held = null;
      send(advert);
      return;
    }
    const waiting = held !== null;
    held = advert;
    if (waiting) return;
    void runner.idle(hold_max_ms).then(() => {
      const latest = held;
      held = null;
      if (latest !== null) send(latest);
    });
  };
}

/** Why the pair is not Ready, in words: each indicator that is off, and a key mismatch if seen lately. */
function readinessReasons(r: Readiness | null, authFailing: boolean): string[] {
  const out: string[] = [];
  if (authFailing) out.push('keepalives from the peer fail authentication: pair keys differ?');
  if (r === null) return out;
  if (!r.connected) out.push('connected: a node has no WAN');
  if (!r.keepalive) out.push('keepalive: not one active and one standby hearing each other');
  if (!r.same_version) out.push('same_version: the major versions differ');
  return out;
}

/** Never heard counts from our start, so that "silent for more than N s" also fires for a peer never seen. */
function silenceSeconds(shell: Shell | null, clock: Clock, started_ms: number): Record<string, number> {
  if (shell === null) return {};
  const now = clock.now_ms();
  const out: Record<string, number> = {};
  for (const [path, at] of Object.entries(shell.status().peer.last_seen_ms))
    out[path] = (now - (at ?? started_ms)) / 1000;
  return out;
}

function snapshotOf(
  cfg: AgentConfig,
  shell: Shell,
  clock: Clock,
  readings: Readings,
  runner: ActionRunner,
  transport: Transport,
): Record<string, unknown> {
  const status = shell.status();
  const now = clock.now_ms();
  const auth = transport.authFailures(now);
  const peer_silence_ms: Record<string, number | null> = {};
  for (const [path, at] of Object.entries(status.peer.last_seen_ms))
    peer_silence_ms[path] = at === null ? null : Math.round(now - at);
  return {
    pair: cfg.pair,
    node: cfg.node,
    version: VERSION,
    status,
    readiness: shell.readiness,
    readiness_reasons: readinessReasons(shell.readiness, auth.recent),
    peer_auth_failures: {
      count: auth.count,
      last_ms_ago: auth.last_ms === null ? null : Math.round(now - auth.last_ms),
    },
    peer_silence_ms,
    in_state_ms: shell.inState_ms(),
    // What is watched at all, so `tandem status` shows no verdict for what nothing watches.
    watched: { ha_port: cfg.ha_port_monitor },
    monitors: readings.snapshot(),
    actions: runner.outcomes(),
  };
}
