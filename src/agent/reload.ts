// What a reload (SIGHUP) may change in place, and what needs a restart. Monitors, actions, timers,
// preemption, keys and notify commands change in place; identity, sockets and the status server do not,
// and a config that changes them is refused as a whole (the running one stays), saying what to do.
import type { AgentConfig, ConfigIssue } from './config.js';

/** Keys whose change needs `systemctl restart`: they are the node's identity or hold a socket. */
const RESTART_KEYS = [
  'pair',
  'node',
  'role',
  'paths',
  'status',
  'controller',
  'ha_port_monitor',
  'nice',
  'realtime_priority',
  // pino fixes its time and level writers when the logger is made.
  'log_format',
] as const satisfies readonly (keyof AgentConfig)[];

export function reloadIssues(running: AgentConfig, next: AgentConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const key of RESTART_KEYS)
    if (JSON.stringify(running[key]) !== JSON.stringify(next[key]))
      out.push({
        path: key,
        message: 'changed, but this key cannot change while running: restart the agent to apply it',
      });
  return out;
}

/** Items of a monitors/actions list are the same when their spec is; an unchanged one keeps running. */
export function sameSpec(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
