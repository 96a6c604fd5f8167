// One lab node as a child process: the agent's own start-up (config → transport → core → actions) with the
// aws-* kinds registered and a controller reporter (enroll with a one-time token, then report on every
// change and on a heartbeat), as `tandem agent` does, plus what only the lab needs: reaching the
// controller and the status API through unix sockets across network namespaces. Usage: agent-main CONFIG
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../agent/config.js';
import { ControllerClient } from '../agent/controller-client.js';
import { startAgent } from '../agent/node.js';
import { agentPlugins, loadAgentPlugins } from '../agent/plugins.js';
import type { StatusReporter } from '../agent/shell.js';
import { forwardToUnixSocket, serveUnixSocket } from '../agent/unix-forward.js';
import { reportOf } from './report.js';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: agent-main CONFIG');
  process.exit(2);
}
const base = agentPlugins();
let cfg: ReturnType<typeof loadConfig>;
try {
  cfg = loadConfig(file, { validateAction: base.validateAction, validateMonitor: base.validateMonitor });
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : String(err));
  process.exit(2);
}
const log = pino({ level: cfg.log_level, base: { pair: cfg.pair, node: cfg.node } });

const env = process.env;
let controllerUrl = cfg.controller_url;
// Physical lab: the node's namespace has no route to the host's loopback, but a unix socket (a file) is
// reachable from every namespace; a local port forwards to it.
if (controllerUrl !== null && env.TANDEM_LAB_CONTROLLER_SOCKET)
  controllerUrl = await forwardToUnixSocket(env.TANDEM_LAB_CONTROLLER_SOCKET);

let client: ControllerClient | null = null;
let reporter: StatusReporter | undefined;
/** A periodic report; skipped while a claim is still settling (it would report it early). */
let heartbeat: (() => void) | null = null;
// Assigned below, before the first state change can be reported (the window timer runs later).
let agent: Awaited<ReturnType<typeof startAgent>>;
if (controllerUrl !== null && env.TANDEM_LAB_CREDENTIAL_FILE) {
  const c = new ControllerClient({
    url: controllerUrl,
    credential_path: env.TANDEM_LAB_CREDENTIAL_FILE,
    backoff_min_ms: 100,
    backoff_max_ms: 1000,
    request_timeout_ms: 2000,
  });
  try {
    const cred = await c.enroll(env.TANDEM_LAB_ENROLLMENT_TOKEN ?? null);
    log.info({ node_id: cred.node_id, site_id: cred.site_id }, 'enrolled with the controller');
    client = c;
    // A handover is make-before-break: the new active node claims, the old one releases when it hears
    // that — both are active for one keepalive's travel time. Reporting "active" only once it has held
    // for a short window (stepping down at once) lets the controller see the settled pair, not a split
    // brain; a real split brain outlasts the window and is reported as one.
    const settle_ms = Number(env.TANDEM_LAB_REPORT_MS ?? 100);
    let pending: NodeJS.Timeout | null = null;
    const send = (): void => {
      if (pending !== null) clearTimeout(pending);
      pending = null;
      c.report(reportOf(agent.shell.status(), agent.shell.readiness));
    };
    heartbeat = () => {
      if (pending === null) c.report(reportOf(agent.shell.status(), agent.shell.readiness));
    };
    reporter = {
      statusChanged: (status) => {
        if (status.state !== 'active') send();
        else if (pending === null) pending = setTimeout(send, settle_ms);
      },
    };
  } catch (err) {
    // The node still fails over without its controller; only the fleet view is missing.
    log.error({ err: (err as Error).message }, 'controller enrollment failed; running without reports');
  }
}

agent = await startAgent(cfg, {
  plugins: await loadAgentPlugins(log, cfg.actions),
  log,
  ...(reporter ? { reporter } : {}),
});
// The lab reaches the status and admin API through a unix socket: the same path from any namespace.
if (env.TANDEM_LAB_STATUS_SOCKET)
  await serveUnixSocket(env.TANDEM_LAB_STATUS_SOCKET, Number(new URL(agent.statusUrl).port));
const heartbeat_ms = Number(env.TANDEM_LAB_REPORT_MS ?? 0);
if (heartbeat !== null && heartbeat_ms > 0) {
  const beat = heartbeat;
  // Periodic reports keep the node from going stale at the controller while nothing changes.
  setInterval(beat, heartbeat_ms).unref();
}

const stop = (): void => {
  setTimeout(() => process.exit(1), 1500).unref();
  client?.close();
  void agent.shutdown().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
