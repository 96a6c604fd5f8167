// Why a site is not Ready, in plain words: each indicator's reasons, from the same facts the
// controller's readiness rule uses (both nodes heard, WAN up, one active and one standby hearing
// each other, the same major version). Pure, so it is tested without a browser.
import type { Health, NodeBrief, Role } from './types.js';

export const HEALTH_LABEL: Record<Health, string> = {
  ready: 'Ready',
  'not-ready': 'Not Ready',
  'split-brain': 'Split brain',
  stale: 'Stale',
  'ha-off': 'HA off',
};

export interface Reasons {
  readonly connected: readonly string[];
  readonly keepalive: readonly string[];
  readonly same_version: readonly string[];
}

interface Pair {
  readonly ha_enabled: boolean;
  readonly primary: NodeBrief | null;
  readonly secondary: NodeBrief | null;
}

/** Why nothing recent is known of a node, or null when it reports. */
function silence(role: Role, n: NodeBrief | null): string | null {
  if (n === null) return role === 'secondary' ? 'no secondary node: HA is off' : 'no primary node';
  if (!n.enrolled) return `the ${role} is not enrolled yet`;
  if (!n.reported) return `the ${role} has not reported yet`;
  if (n.stale) return `the ${role} stopped reporting (stale)`;
  return null;
}

/** A node's state as a phrase: "the primary is in maintenance". */
function stateText(state: string | null): string {
  switch (state) {
    case 'maintenance':
    case 'fault':
      return `in ${state}`;
    case 'init':
      return 'starting (init)';
    case null:
      return 'in an unknown state';
    default:
      return state;
  }
}

function connected(role: Role, n: NodeBrief): string[] {
  if (n.wan_ok !== false) return [];
  if (n.wan_down.length === 0) return [`the ${role} has no WAN connectivity`];
  const links = n.wan_down.join(', ');
  return [`the ${role}'s WAN probe${n.wan_down.length > 1 ? 's' : ''} ${links} failed`];
}

function keepalive(p: NodeBrief, s: NodeBrief): string[] {
  const out: string[] = [];
  if (p.state === 'active' && s.state === 'active') out.push('both nodes are active');
  else if (p.state !== 'active' && s.state !== 'active') out.push('no node is active');
  for (const [role, n, peer] of [
    ['primary', p, 'secondary'],
    ['secondary', s, 'primary'],
  ] as const) {
    if (n.state !== 'active' && n.state !== 'standby') out.push(`the ${role} is ${stateText(n.state)}`);
    if (n.hears_peer === false) out.push(`the ${role} does not hear the ${peer}'s keepalives`);
  }
  return out;
}

function major(version: string | null): string | null {
  return version === null ? null : (/^(\d+)\./.exec(version)?.[1] ?? null);
}

/**
 * HA off: the primary runs alone and is Ready when heard, active and its WAN up (the controller's
 * rule); what keeps it from that. No peer is expected, so a missing secondary is never a reason.
 */
export function aloneReasons(p: NodeBrief | null): string[] {
  const silent = silence('primary', p);
  if (silent !== null || p === null) return [silent ?? 'no primary node'];
  const out = connected('primary', p);
  if (p.state !== 'active') out.push(`the primary is ${stateText(p.state)}`);
  return out;
}

export function reasonsOf(site: Pair): Reasons {
  const { primary: p, secondary: s } = site;
  const silent = [silence('primary', p), silence('secondary', s)].filter((x): x is string => x !== null);
  if (silent.length > 0 || p === null || s === null) {
    return { connected: silent, keepalive: silent, same_version: silent };
  }
  const versions =
    major(p.version) === major(s.version)
      ? []
      : [
          `the primary runs ${p.version ?? '?'} and the secondary ${s.version ?? '?'} (major versions differ)`,
        ];
  return {
    connected: [...connected('primary', p), ...connected('secondary', s)],
    keepalive: keepalive(p, s),
    same_version: versions,
  };
}

/** One line for the sites list: the first reason that matters. */
export function headline(site: Pair & { readonly split_brain: boolean }): string {
  if (!site.ha_enabled) {
    if (site.primary === null) return 'no node yet: add the primary';
    return aloneReasons(site.primary)[0] ?? 'no secondary node: HA is off';
  }
  if (site.split_brain) return 'both nodes are active';
  const r = reasonsOf(site);
  return r.connected[0] ?? r.keepalive[0] ?? r.same_version[0] ?? '';
}
