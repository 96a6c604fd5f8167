// HA-port link state from sysfs: carrier and operstate. Polling is cheap (two small reads); the poll
// interval bounds how late a carrier loss is seen. Reads the sysfs of the process's own network
// namespace, so the agent must run in the namespace that holds the interface.
import { readFile } from 'node:fs/promises';
import { type ProbeLoop, startProbeLoop, type Verdict } from './loop.js';
import { type LinkSpec, MONITOR_DEFAULTS } from './spec.js';
import type { Monitor, Reading } from './types.js';

/** Reads one interface's link state; exported for preflight and tests. */
export async function readLinkState(ifname: string): Promise<Verdict> {
  const dir = `/sys/class/net/${ifname}`;
  let operstate: string;
  try {
    operstate = (await readFile(`${dir}/operstate`, 'utf8')).trim();
  } catch {
    return { ok: false, detail: `interface ${ifname} not found` };
  }
  let carrier: string;
  try {
    carrier = (await readFile(`${dir}/carrier`, 'utf8')).trim();
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

  constructor(private readonly spec: LinkSpec) {
    this.name = spec.name;
  }

  start(report: (reading: Reading) => void): void {
    if (this.loop !== undefined) return;
    const interval_ms = this.spec.interval_ms ?? MONITOR_DEFAULTS.link.interval_ms;
    this.loop = startProbeLoop(
      () => readLinkState(this.spec.interface),
      interval_ms,
      (v) => report({ kind: 'link', name: this.name, up: v.ok, ...(v.detail ? { detail: v.detail } : {}) }),
    );
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = undefined;
  }
}
