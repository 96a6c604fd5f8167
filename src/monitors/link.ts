// HA-port link state from sysfs: carrier and operstate. Two triggers: `ip -o monitor link` (netlink
// events, so a carrier loss is seen within milliseconds) and a cheap poll as the backstop whose
// interval bounds detection if the watcher dies. Reads the sysfs of the process's own network
// namespace, so the agent must run in the namespace that holds the interface.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type ProbeLoop, startProbeLoop, type Verdict } from './loop.js';
import { type LinkSpec, MONITOR_DEFAULTS } from './spec.js';
import type { Monitor, Reading } from './types.js';

/**
 * Reads one interface's link state; exported for preflight and tests. Synchronous on purpose: sysfs
 * attributes are generated in memory and never block, while the promise API costs three thread-pool
 * round trips (open, read, close) per file; polled every 50 ms that was the agent's largest CPU cost.
 */
export async function readLinkState(ifname: string): Promise<Verdict> {
  const dir = `/sys/class/net/${ifname}`;
  let operstate: string;
  try {
    operstate = readFileSync(`${dir}/operstate`, 'utf8').trim();
  } catch {
    return { ok: false, detail: `interface ${ifname} not found` };
  }
  let carrier: string;
  try {
    carrier = readFileSync(`${dir}/carrier`, 'utf8').trim();
  } catch {
    // The kernel refuses to read carrier while the interface is administratively down.
    return { ok: false, detail: `carrier=unreadable (admin down) operstate=${operstate}` };
  }
  // Some drivers (tun, dummy) never leave operstate `unknown`; carrier is the truth there.
  const up = carrier === '1' && (operstate === 'up' || operstate === 'unknown');
  return { ok: up, detail: `carrier=${carrier} operstate=${operstate}` };
}

export class LinkMonitor implements Monitor {
  readonly name: string;
  private loop: ProbeLoop | undefined;
  private watcher: ChildProcess | undefined;

  constructor(private readonly spec: LinkSpec) {
    this.name = spec.name;
  }

  start(report: (reading: Reading) => void): void {
    if (this.loop !== undefined) return;
    const ifname = this.spec.interface;
    const emit = (v: Verdict): void => {
      try {
        report({ kind: 'link', name: this.name, up: v.ok, ...(v.detail ? { detail: v.detail } : {}) });
      } catch {
        // A faulty consumer must not stop the monitor.
      }
    };
    const interval_ms = this.spec.interval_ms ?? MONITOR_DEFAULTS.link.interval_ms;
    this.loop = startProbeLoop(() => readLinkState(ifname), interval_ms, emit);
    if (this.spec.watch !== false)
      this.watcher = watchLinkEvents(ifname, () => void readLinkState(ifname).then(emit));
  }

  async stop(): Promise<void> {
    this.watcher?.kill('SIGKILL');
    this.watcher = undefined;
    await this.loop?.stop();
    this.loop = undefined;
  }
}

/** Calls `onEvent` for every netlink link message about `ifname`; a missing `ip` leaves polling alone. */
function watchLinkEvents(ifname: string, onEvent: () => void): ChildProcess {
  const child = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('error', () => undefined);
  // Lines look like `3: lan0@if2: <NO-CARRIER,…> … state DOWN …` (or `Deleted 3: lan0…`).
  const mentions = new RegExp(`^(Deleted )?\\d+: ${ifname.replace(/[.]/g, '\\.')}[@:]`);
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (mentions.test(line)) onEvent();
    });
  }
  return child;
}
