// The probes' side of `tandem preflight` on a pathwatch config: what the targets need from this host.
import type { ActionChecks } from '../actions/kit/preflight-report.js';
import { parseAddress } from '../net/address.js';
import type { PathwatchConfig } from './config.js';
import { pingRightsCheck } from './ping-rights.js';

/** Empty when no path probes with ICMP (TCP and HTTP need no privilege). */
export async function probeChecks(cfg: PathwatchConfig): Promise<ActionChecks[]> {
  const families = new Set<4 | 6>();
  for (const plan of [cfg.primary, cfg.backup])
    for (const t of plan?.targets ?? []) {
      if (t.kind !== 'icmp') continue;
      const a = parseAddress(t.address);
      if (a.ok) families.add(a.value.family);
    }
  if (families.size === 0) return [];
  return [{ action: 'probes', kind: 'icmp', checks: [await pingRightsCheck(families)] }];
}
