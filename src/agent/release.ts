// `tandem agent --release-vips`: what the unit's ExecStopPost runs after the agent stopped, however it
// stopped. A SIGTERM'd agent has released already (then this finds nothing); a crashed or SIGKILL'd one left its
// VIP on the interface, and the dead node would keep answering for it until the next start. Only this host's
// claims are touched (registries that are not clouds): a cloud's routes are the peer's to take over.
import { connect } from 'node:net';
import type { Logger } from 'pino';
import { REGISTRIES } from '../actions/registries.js';
import { type ListenAddress, loadConfig } from './config.js';
import { agentPlugins, agentValidators, openFactories } from './plugins.js';

/** How long a connect to the agent's own status port may take before we call it closed (loopback: fast). */
const PROBE_TIMEOUT_MS = 500;

export type ReleaseOutcome =
  | { readonly kind: 'released' }
  | { readonly kind: 'agent-running'; readonly at: string };

/**
 * Throws ConfigError when the config is invalid: then nothing is known to release. Refuses while an agent
 * answers on the config's status address: removing a running active node's VIP would be an outage.
 */
export async function releaseHostClaims(file: string, log: Logger): Promise<ReleaseOutcome> {
  const cfg = loadConfig(file, agentValidators());
  if (await answers(cfg.status.listen)) {
    return { kind: 'agent-running', at: `${cfg.status.listen.host}:${cfg.status.listen.port}` };
  }
  const onHost = REGISTRIES.filter((r) => !r.cloud);
  const factories = await openFactories(log, cfg.actions, onHost);
  await agentPlugins(log, factories, onHost).removeStaleClaims?.(cfg.actions, log);
  return { kind: 'released' };
}

function answers(at: ListenAddress): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: at.host, port: at.port, timeout: PROBE_TIMEOUT_MS });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
