// Commands for nodes (run preflight now, switchover, maintenance): the controller never calls a node;
// it queues the command and the node learns it from its next report reply, carries it out and reports
// the result in a later report. So a node behind NAT or a firewall needs no inbound port.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isSwitchoverRefusal, REFUSAL_TEXT } from '../../core/refusals.js';
import { ControllerError } from '../errors.js';
import { recordEvent } from '../events.js';
import type { CommandKind, CommandResult, PendingCommand, SiteCommand } from '../schema.js';
import { isStale } from '../status.js';
import type { CommandRow, Database, NodeRow } from '../store/tables.js';
import { type Ctx, inTransaction, loadSite } from './context.js';

/** A command a node has not picked up within this long is expired (the node is shown as not answering). */
export const COMMAND_TTL_MS = 60_000;
/** Long polls re-read the store this often. */
const POLL_MS = 100;

export interface QueuedCommand {
  readonly site_id: string;
  readonly node: Pick<NodeRow, 'id' | 'role'>;
  readonly kind: CommandKind;
  readonly test_id: string | null;
  readonly now: number;
}

/** Inserts the command and flags the node, so its next report reply looks commands up. */
export async function queueCommand(trx: Kysely<Database>, c: QueuedCommand): Promise<string> {
  const id = randomUUID();
  await trx
    .insertInto('commands')
    .values({
      id,
      site_id: c.site_id,
      node_id: c.node.id,
      role: c.node.role,
      kind: c.kind,
      test_id: c.test_id,
      created_at: c.now,
      expires_at: c.now + COMMAND_TTL_MS,
      status: 'pending',
      reason: null,
      result: null,
      done_at: null,
    })
    .execute();
  await trx
    .updateTable('nodes')
    .set((eb) => ({ commands_pending: eb('commands_pending', '+', 1) }))
    .where('id', '=', c.node.id)
    .execute();
  return id;
}

/** The commands waiting for a node; clears its flag when none is left (all done or expired). */
export async function pendingCommands(
  db: Kysely<Database>,
  node_id: string,
  now: number,
): Promise<PendingCommand[]> {
  const rows = await db
    .selectFrom('commands')
    .select(['id', 'kind'])
    .where('node_id', '=', node_id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .limit(16)
    .execute();
  if (rows.length === 0)
    await db.updateTable('nodes').set({ commands_pending: 0 }).where('id', '=', node_id).execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind as CommandKind }));
}

/** Applies a node's command results (inside the report's transaction); each is recorded once. */
export async function completeCommands(
  trx: Kysely<Database>,
  node: { id: string; site_id: string; role: string },
  results: readonly CommandResult[],
  now: number,
): Promise<void> {
  for (const r of results) {
    const done = await trx
      .updateTable('commands')
      .set({
        status: r.outcome,
        reason: r.reason ?? null,
        result: r.preflight === undefined ? null : JSON.stringify(r.preflight),
        done_at: now,
      })
      .where('id', '=', r.id)
      .where('node_id', '=', node.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (done.numUpdatedRows !== 1n) continue;
    await trx
      .updateTable('nodes')
      .set((eb) => ({ commands_pending: eb('commands_pending', '-', 1) }))
      .where('id', '=', node.id)
      .where('commands_pending', '>', 0)
      .execute();
    if (r.kind === 'preflight') continue;
    await recordEvent(trx, {
      key: `operator-command:${r.id}`,
      type: 'operator-command',
      site_id: node.site_id,
      node_id: node.id,
      at: now,
      details: { command: r.kind, role: node.role, outcome: r.outcome, reason: r.reason ?? null },
    });
  }
}

export interface CommandView {
  readonly id: string;
  readonly site_id: string;
  readonly node_id: string;
  readonly role: 'primary' | 'secondary';
  readonly kind: CommandKind;
  readonly status: 'pending' | 'done' | 'refused' | 'failed' | 'expired';
  /** The agent's reason code (peer-unfit, ...), or why the controller gave up. */
  readonly reason: string | null;
  /** The reason in plain words, with what to do. */
  readonly message: string | null;
  readonly created_at: number;
  readonly done_at: number | null;
}

const EXPIRED = 'the node did not answer in time';

/** The agent sends a code; the operator reads what it means (the same words as `tandem switchover`). */
export function reasonText(reason: string | null): string | null {
  if (reason === null) return null;
  if (isSwitchoverRefusal(reason)) return REFUSAL_TEXT[reason];
  if (reason === 'unassigned') return 'the node was removed from its site: it takes no command';
  return reason;
}

export function commandView(row: CommandRow, now: number): CommandView {
  const expired = row.status === 'pending' && row.expires_at <= now;
  return {
    id: row.id,
    site_id: row.site_id,
    node_id: row.node_id,
    role: row.role,
    kind: row.kind as CommandKind,
    status: expired ? 'expired' : row.status,
    reason: expired ? EXPIRED : row.reason,
    message: expired ? `${EXPIRED}: is it running and reporting?` : reasonText(row.reason),
    created_at: row.created_at,
    done_at: row.done_at,
  };
}

/** Switchover or maintenance for one node: queued, then waited for (bounded) until the node answers. */
export async function siteCommand(ctx: Ctx, site_id: string, body: SiteCommand): Promise<CommandView> {
  const id = await inTransaction(ctx, 'site command', async (trx) => {
    const s = await loadSite(trx, site_id, ctx.store);
    const role = body.role ?? activeRole(s.primary, s.secondary);
    const node = role === 'primary' ? s.primary : s.secondary;
    if (node === null)
      throw new ControllerError('not-found', `site ${s.site.name} has no ${role} node`, '/role');
    if (isStale(node, ctx.now(), ctx.settings))
      throw new ControllerError(
        'node-offline',
        `the ${role} node has not reported for ${ctx.settings.stale_after_ms} ms; it cannot be asked now`,
        '/role',
      );
    const now = ctx.now();
    const queued = await queueCommand(trx, { site_id, node, kind: body.command, test_id: null, now });
    await recordEvent(trx, {
      key: `operator-command-issued:${queued}`,
      type: 'operator-command',
      site_id,
      node_id: node.id,
      at: now,
      details: { command: body.command, role, outcome: 'issued', reason: null },
    });
    return queued;
  });
  return waitCommand(ctx, site_id, id, body.wait_ms);
}

function activeRole(primary: NodeRow | null, secondary: NodeRow | null): 'primary' | 'secondary' {
  if (secondary?.state === 'active' && primary?.state !== 'active') return 'secondary';
  return 'primary';
}

export async function loadCommand(ctx: Ctx, site_id: string, id: string): Promise<CommandView> {
  const row = await ctx.store.db
    .selectFrom('commands')
    .selectAll()
    .where('id', '=', id)
    .where('site_id', '=', site_id)
    .executeTakeFirst();
  if (row === undefined) throw new ControllerError('not-found', `site ${site_id} has no command ${id}`);
  return commandView(row, ctx.now());
}

async function waitCommand(ctx: Ctx, site_id: string, id: string, wait_ms: number): Promise<CommandView> {
  const end = Date.now() + wait_ms;
  for (;;) {
    const view = await loadCommand(ctx, site_id, id);
    if (view.status !== 'pending' || Date.now() >= end) return view;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const sleepPoll = (): Promise<void> => new Promise((r) => setTimeout(r, POLL_MS));
