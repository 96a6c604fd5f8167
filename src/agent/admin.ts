import type { AdminCommand } from '../core/index.js';

/** What an operator may ask the agent through POST /admin/<command> (and `tandem switchover --command`). */
export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  'switchover',
  'maintenance-on',
  'maintenance-off',
  'disable',
  'enable',
];
