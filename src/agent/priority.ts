// The agent's scheduling: a keepalive that waits behind a busy host looks like a dead peer, and a claim
// that waits behind it is outage. Like corosync, the agent asks for real-time round-robin scheduling;
// the kernel's RT throttle (sched_rt_runtime_us) still keeps 5 % of each CPU for everyone else.
import { execFileSync } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Logger } from 'pino';

export function raisePriority(nice: number, realtime_priority: number, log: Logger): void {
  try {
    setPriority(nice);
  } catch (err) {
    // Not root / no CAP_SYS_NICE: the agent still works, only less steadily on a loaded host.
    log.warn({ nice, err: (err as Error).message }, 'cannot set the process priority');
  }
  if (realtime_priority === 0) return;
  try {
    // Every thread of this process (libuv's pool, V8's helpers); children (ip, arping) inherit it.
    execFileSync('chrt', ['--all-tasks', '--rr', '--pid', String(realtime_priority), String(process.pid)], {
      stdio: 'ignore',
      timeout: 2000,
    });
  } catch (err) {
    log.warn(
      { realtime_priority, err: (err as Error).message },
      'cannot switch to real-time scheduling (needs CAP_SYS_NICE and chrt from util-linux)',
    );
  }
}
