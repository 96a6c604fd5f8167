import type { ActiveNode, NodeState, Readiness, Role, SemVer } from './types.js';

/** One node as seen by whoever computes readiness: itself, its peer, or the controller. */
export interface NodeView {
  readonly role: Role;
  readonly state: NodeState;
  readonly wan_ok: boolean;
  /** This node receives the other's keepalives. */
  readonly hears_peer: boolean;
  readonly version: SemVer;
}

/**
 * Ready only when every indicator is OK: Connected, Keepalive and Same version (the reference's rule).
 * `null` stands for a node nobody has heard from.
 */
export function readiness(a: NodeView | null, b: NodeView | null): Readiness {
  const both = a !== null && b !== null;
  const connected = both && a.wan_ok && b.wan_ok;
  const oneActiveOneStandby =
    both &&
    ((a.state === 'active' && b.state === 'standby') || (a.state === 'standby' && b.state === 'active'));
  const keepalive = both && a.hears_peer && b.hears_peer && oneActiveOneStandby;
  const same_version = both && a.version.major === b.version.major;
  return {
    connected,
    keepalive,
    same_version,
    ready: connected && keepalive && same_version,
    active: activeNode([a, b]),
  };
}

function activeNode(nodes: readonly (NodeView | null)[]): ActiveNode {
  const active = nodes.filter((n): n is NodeView => n !== null && n.state === 'active');
  if (active.length === 0) return 'none';
  if (active.length > 1) return 'both';
  return active[0]!.role;
}

export function sameReadiness(x: Readiness, y: Readiness): boolean {
  return (
    x.connected === y.connected &&
    x.keepalive === y.keepalive &&
    x.same_version === y.same_version &&
    x.ready === y.ready &&
    x.active === y.active
  );
}

export function parseSemVer(text: string): SemVer | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatSemVer(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
