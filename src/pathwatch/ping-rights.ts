// Whether this process may send the ICMP probes. `ping` needs a raw socket (CAP_NET_RAW: root, the service's
// ambient capability, or ping's own file capability, which NoNewPrivileges ignores) or an ICMP datagram
// socket, which the kernel allows only to groups inside net.ipv4.ping_group_range (default "1 0": nobody).
// The check sends one echo to loopback, the only sure test, and explains the outcome from those facts.
import { readFile } from 'node:fs/promises';
import { CAP_NET_RAW, hasCapability } from '../actions/linux/capabilities.js';
import type { PreflightCheck } from '../actions/types.js';
import { runCommand } from '../monitors/run.js';

const TIMEOUT_MS = 2000;
const CHECK = 'ICMP probes: ping may open a raw socket (CAP_NET_RAW) or an ICMP socket (ping_group_range)';
const FIX =
  'grant CAP_NET_RAW to the service (AmbientCapabilities=CAP_NET_RAW, as deploy/systemd/tandem-pathwatch.service does) ' +
  'or allow ICMP sockets for its group: sysctl -w net.ipv4.ping_group_range="0 2147483647" ' +
  '(persist it in /etc/sysctl.d/); setcap cap_net_raw+ep on ping does not help under NoNewPrivileges';

export interface PingFacts {
  readonly cap_net_raw: boolean;
  readonly gid: number;
  /** `[low, high]`; null when unreadable. */
  readonly ping_group_range: readonly [number, number] | null;
}

export async function pingFacts(): Promise<PingFacts> {
  const text = await readFile('/proc/sys/net/ipv4/ping_group_range', 'utf8').catch(() => '');
  const m = /^(\d+)\s+(\d+)/.exec(text.trim());
  return {
    cap_net_raw: await hasCapability(CAP_NET_RAW),
    gid: process.getgid?.() ?? -1,
    ping_group_range: m ? [Number(m[1]), Number(m[2])] : null,
  };
}

export function describeFacts(f: PingFacts): string {
  const range = f.ping_group_range === null ? 'unreadable' : `"${f.ping_group_range.join(' ')}"`;
  const inRange =
    f.ping_group_range !== null && f.gid >= f.ping_group_range[0] && f.gid <= f.ping_group_range[1];
  return (
    `CAP_NET_RAW ${f.cap_net_raw ? 'held' : 'not held'}; ` +
    `net.ipv4.ping_group_range ${range} ${inRange ? 'includes' : 'excludes'} our gid ${f.gid}`
  );
}

/**
 * EPERM at exec: ping carries a file capability (cap_net_raw=ep) that this process's bounding set cannot grant,
 * so the kernel refuses to run it at all; ENOENT: no ping.
 */
function unrunnable(error: string, facts: PingFacts): PreflightCheck {
  if (!/EPERM|not permitted/i.test(error))
    return {
      check: CHECK,
      status: 'error',
      detail: `cannot run ping: ${error}`,
      fix: 'install iputils-ping',
    };
  return {
    check: CHECK,
    status: 'wrong-setting',
    detail: `cannot run ping: ${error}: its file capability cap_net_raw is outside this process's bounding set (${describeFacts(facts)})`,
    fix: 'add CAP_NET_RAW to the service (AmbientCapabilities= and CapabilityBoundingSet=, as deploy/systemd/tandem-pathwatch.service does)',
  };
}

/** One echo to the loopback of each family the targets use; a refusal says which right is missing and the fix. */
export async function pingRightsCheck(families: ReadonlySet<4 | 6>): Promise<PreflightCheck> {
  const facts = await pingFacts();
  for (const family of [...families].sort()) {
    const to = family === 4 ? '127.0.0.1' : '::1';
    const out = await runCommand(['ping', '-n', '-q', '-c', '1', '-W', '1', '--', to], {
      timeout_ms: TIMEOUT_MS,
    });
    if (out.spawn_error !== undefined) return unrunnable(out.spawn_error, facts);
    if (out.code === 0) continue;
    const said = out.stderr.trim().split('\n').filter(Boolean).join(' / ') || `exit ${out.code}`;
    const refused = /not permitted|permission denied|cap_net_raw/i.test(said);
    return refused
      ? {
          check: CHECK,
          status: 'wrong-setting',
          detail: `ping ${to}: ${said} (${describeFacts(facts)})`,
          fix: FIX,
        }
      : { check: CHECK, status: 'error', detail: `ping ${to}: ${said} (is the loopback interface up?)` };
  }
  return { check: CHECK, status: 'ok', detail: describeFacts(facts) };
}
