// Why a switchover is refused, in words for an operator: the agent's console (`tandem switchover`)
// and the controller's answer to a command (and so the dashboard) say the same thing.
import type { SwitchoverRefusal } from './types.js';

export const REFUSAL_TEXT: Readonly<Record<SwitchoverRefusal, string>> = {
  'peer-silent':
    'the peer is not heard: it cannot take the role (check it is running and the keepalive paths)',
  'peer-unfit': 'the peer is not a fit standby (a check failed, or it is in maintenance or fault)',
  'peer-wan-down': "the peer's WAN probes fail: it would not pass traffic",
  'self-unfit': 'this node is unfit (a check failed, maintenance or disabled): fix it first',
  'self-wan-down': "this node's WAN probes fail: it would not pass traffic",
  'not-in-a-pair-state': 'switchover needs one active and one standby node',
  'already-in-progress': 'a switchover is already in progress; wait for it',
};

export function isSwitchoverRefusal(reason: string): reason is SwitchoverRefusal {
  return Object.hasOwn(REFUSAL_TEXT, reason);
}
