// `tandem agent`: one node from its YAML, with its controller when it has one. The controller part:
// enroll, report, take the managed settings (every report reply carries the site's settings version;
// a newer one is fetched, validated as a local config and applied without a restart), carry out the
// commands the reply lists, and stop taking part in HA when the controller says the node was removed.
import { readFileSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import type { CommandResult, PendingCommand, SettingsState } from '../controller/schema.js';
import type { AdminCommand } from '../core/index.js';
import { logOptions } from '../obs/log.js';
import { type AgentConfig, ConfigError, type LoadOptions } from './config.js';
import {
  type Effective,
  EMPTY_COPY,
  effectiveConfig,
  issuesOf,
  loadCopy,
  type ManagedSettings,
  type SettingsCopy,
  saveCopy,
  settingsCopyPath,
} from './managed.js';
import { type RunningAgent, startAgent } from './node.js';
import { agentValidators, loadAgentPlugins } from './plugins.js';
import { type ControllerReporting, controllerReporting, reportOf } from './reporting.js';

export interface RunOptions {
  /** Reach the controller through this unix socket (a node in another network namespace). */
  readonly controller_socket?: string;
  /** Also serve the status and admin API on this unix socket. */
  readonly status_socket?: string;
  readonly log?: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningNode {
  readonly agent: RunningAgent;
  readonly reporting: ControllerReporting | null;
  /** The managed settings state the node reports. */
  settings(): SettingsState | undefined;
  /**
   * SIGHUP: re-reads the local YAML, lays the managed copy over it and applies it in place; a file that
   * does not load, or a change that needs a restart, is refused whole and logged; the old config runs on.
   */
  reload(): void;
  /** A graceful stop; `signal` (SIGTERM, SIGINT) is logged first. */
  stop(signal?: string): Promise<void>;
}

/** A preflight asked by the controller gives up after this long (the API test waits for it). */
const PREFLIGHT_DEADLINE_MS = 10_000;
/** Command ids already carried out (a reply may list one again until its result is stored). */
const SEEN_MAX = 256;

/** Throws ConfigError when the local YAML is invalid (nothing is started then). */
export async function runAgent(file: string, options: RunOptions = {}): Promise<RunningNode> {
  let text = readFileSync(file, 'utf8');
  const validation = agentValidators();
  const load: LoadOptions = {
    validateAction: validation.validateAction,
    validateMonitor: validation.validateMonitor,
    ...(options.env ? { env: options.env } : {}),
  };
  let local = effectiveConfig(file, text, null, null, load);
  const copyPath = local.config.controller ? settingsCopyPath(local.config.controller.credential_file) : null;
  let copy: SettingsCopy = copyPath === null ? EMPTY_COPY : loadCopy(copyPath);
  const log =
    options.log ??
    pino({
      level: local.config.log_level,
      base: { pair: local.config.pair, node: local.config.node },
      ...logOptions(local.config.log_format),
    });
  let effective: Effective = startingConfig(file, text, local, copy, load, log);
  const cfg = effective.config;
  const plugins = await loadAgentPlugins(log, cfg.actions);

  let url = cfg.controller?.url ?? null;
  // A node in another network namespace has no route to the controller's loopback, but a unix socket
  // (a file) is reachable from every namespace; a local port forwards to it.
  if (url !== null && options.controller_socket !== undefined) {
    const { forwardToUnixSocket } = await import('./unix-forward.js');
    url = await forwardToUnixSocket(options.controller_socket);
  }
  const c = cfg.controller;
  const reporting =
    c === null || url === null
      ? null
      : controllerReporting(
          {
            url,
            enrollment_token: c.enrollment_token
              ? new TextDecoder().decode(c.enrollment_token.reveal())
              : null,
            credential_file: c.credential_file,
            report_interval_ms: c.report_interval_ms,
            ca: c.ca,
            allow_cleartext: c.allow_cleartext,
            settle_ms: cfg.interval_ms,
          },
          log,
        );
  if (copy.unassigned) log.error('this node was removed from its site by the controller: HA stays disabled');
  const agent = await startAgent(cfg, {
    plugins,
    log,
    ...(reporting
      ? {
          reporter: reporting.reporter,
          onAction: (o) => reporting.actionDone(o),
          onPhase: () => reporting.changed(),
          onRepair: (r) => reporting.repairDone(r),
        }
      : {}),
    start_disabled: copy.unassigned,
  });
  let statusServer: { close(): void } | null = null;
  if (options.status_socket !== undefined) {
    const { serveUnixSocket } = await import('./unix-forward.js');
    statusServer = await serveUnixSocket(options.status_socket, Number(new URL(agent.statusUrl).port));
  }

  const settings = (): SettingsState | undefined =>
    reporting === null
      ? undefined
      : {
          applied_version: copy.version !== null && effective.config !== local.config ? copy.version : null,
          refused:
            copy.refused === null
              ? null
              : { version: copy.refused.version, issues: [...copy.refused.issues] },
          config_digest: effective.digest,
        };
  const save = (next: SettingsCopy): void => {
    copy = next;
    if (copyPath !== null) saveCopy(copyPath, copy);
  };

  let applying = false;
  /** Fetches, validates and applies the site's settings; a refused copy is reported, never half-applied. */
  const takeSettings = async (version: number): Promise<void> => {
    if (reporting === null || applying) return;
    applying = true;
    try {
      const body = (await reporting.client.fetchConfig()) as {
        settings_version: number;
        managed: ManagedSettings;
      };
      let next: Effective;
      try {
        next = effectiveConfig(file, text, body.managed, body.settings_version, load);
        await agent.reconfigure(next.config);
      } catch (err) {
        log.error(
          { settings_version: body.settings_version, issues: issuesOf(err) },
          'managed settings refused',
        );
        save({ ...copy, refused: { version: body.settings_version, issues: issuesOf(err) } });
        reporting.changed();
        return;
      }
      effective = next;
      save({ ...copy, version: body.settings_version, managed: body.managed, refused: null });
      log.info({ settings_version: body.settings_version, digest: next.digest }, 'managed settings applied');
      reporting.changed();
    } catch (err) {
      // Unreachable now: the next reply asks again; the node runs on what it has.
      log.warn({ settings_version: version, err: (err as Error).message }, 'managed settings not fetched');
    } finally {
      applying = false;
    }
  };

  const seen = new Set<string>();
  const runCommand = async (cmd: PendingCommand): Promise<CommandResult> => {
    const at = Date.now();
    if (cmd.kind === 'preflight') {
      const actions = await agent.preflight(PREFLIGHT_DEADLINE_MS);
      const preflight = { at: Date.now(), actions: actions.map((a) => ({ ...a, checks: [...a.checks] })) };
      reporting?.preflightDone(preflight);
      return { id: cmd.id, kind: cmd.kind, outcome: 'done', preflight, at };
    }
    if (copy.unassigned) return { id: cmd.id, kind: cmd.kind, outcome: 'refused', reason: 'unassigned', at };
    const verdict = agent.admin(cmd.kind as AdminCommand);
    return verdict.ok
      ? { id: cmd.id, kind: cmd.kind, outcome: 'done', at }
      : { id: cmd.id, kind: cmd.kind, outcome: 'refused', reason: verdict.reason, at };
  };

  reporting?.start(
    () => ({
      report: reportOf(agent.shell.status(), agent.shell.readiness, agent.wan()),
      settings: settings(),
      progress: agent.inFlight(),
    }),
    {
      enrolled: () => {
        // At start: does this node's identity have what its actions need? Reported, never blocking.
        void agent.preflight(PREFLIGHT_DEADLINE_MS).then((actions) =>
          reporting.preflightDone({
            at: Date.now(),
            actions: actions.map((a) => ({ ...a, checks: [...a.checks] })),
          }),
        );
      },
      reply: (r) => {
        const managed = cfg.managed.length > 0;
        if (managed && r.settings_version !== copy.version && r.settings_version !== copy.refused?.version)
          void takeSettings(r.settings_version);
        for (const cmd of r.commands) {
          if (seen.has(cmd.id)) continue;
          seen.add(cmd.id);
          if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value as string);
          log.info({ command: cmd.kind, id: cmd.id }, 'command from the controller');
          void runCommand(cmd).then(
            (result) => reporting.commandDone(result),
            (err: unknown) =>
              reporting.commandDone({
                id: cmd.id,
                kind: cmd.kind,
                outcome: 'failed',
                reason: String((err as Error).message ?? err).slice(0, 200),
                at: Date.now(),
              }),
          );
        }
      },
      removed: () => {
        // The reference: a node removed from its site no longer takes part. Releasing happens in the
        // core's disable (an active node releases and tells its peer), and it stays off across restarts.
        log.error('removed from its site by the controller: releasing and disabling HA');
        save({ ...copy, unassigned: true });
        agent.admin('disable');
      },
    },
  );

  const reload = (): void => {
    log.info({ signal: 'SIGHUP' }, 'signal');
    try {
      const nextText = readFileSync(file, 'utf8');
      const nextLocal = effectiveConfig(file, nextText, null, null, load);
      const next = startingConfig(file, nextText, nextLocal, copy, load, log);
      const issues = agent.reload(next.config);
      if (issues.length > 0) {
        log.error({ code: 'RELOAD_REFUSED', issues }, 'reload refused: the running config is kept');
        return;
      }
      text = nextText;
      local = nextLocal;
      effective = next;
      reporting?.changed();
    } catch (err) {
      log.error(
        { code: 'RELOAD_REFUSED', issues: issuesOf(err) },
        'reload refused: the new config is invalid; the running config is kept',
      );
    }
  };

  return {
    agent,
    reporting,
    settings,
    reload,
    stop: async (signal?: string) => {
      if (signal !== undefined) log.info({ signal }, 'signal');
      reporting?.close();
      statusServer?.close();
      await agent.shutdown();
    },
  };
}

/** The local YAML with the last good managed copy over it, when there is one and it still validates. */
function startingConfig(
  file: string,
  text: string,
  local: Effective,
  copy: SettingsCopy,
  load: LoadOptions,
  log: Logger,
): Effective {
  if (copy.managed === null || local.config.managed.length === 0) return local;
  try {
    const e = effectiveConfig(file, text, copy.managed, copy.version, load);
    log.info({ settings_version: copy.version }, 'running on the last good managed settings');
    return e;
  } catch (err) {
    // The local YAML changed under the copy: the YAML wins until the controller sends a good one.
    log.warn({ issues: issuesOf(err) }, 'the stored managed settings no longer fit the local config');
    return local;
  }
}

export type { AgentConfig };
export { ConfigError };
