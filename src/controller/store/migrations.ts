// Schema migrations, applied in order by Kysely's migrator (which holds a lock, so several
// controllers starting together on one PostgreSQL migrate once).
import type { Kysely, Migration } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function initial(dialect: Dialect): Migration {
  // Milliseconds since the epoch overflow PostgreSQL's 32-bit integer.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('revoked_at', ms)
        .execute();
      await db.schema
        .createTable('sites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('cloud', 'text', (c) => c.notNull())
        .addColumn('ha_enabled', 'integer', (c) => c.notNull())
        .addColumn('primary_node_id', 'text')
        .addColumn('secondary_node_id', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('derived_ready', 'integer', (c) => c.notNull())
        .addColumn('derived_active', 'text', (c) => c.notNull())
        .addColumn('split_brain_since', ms)
        .addColumn('secondary_active_since', ms)
        .addColumn('failover_recorded_for', ms)
        .execute();
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('mgmt_ip', 'text', (c) => c.notNull())
        .addColumn('subnet', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('removed_at', ms)
        .addColumn('enrollment_hash', 'text', (c) => c.unique())
        .addColumn('enrollment_expires_at', ms)
        .addColumn('credential_hash', 'text', (c) => c.unique())
        .addColumn('enrolled_at', ms)
        .addColumn('last_report_at', ms)
        .addColumn('state', 'text')
        .addColumn('wan_ok', 'integer')
        .addColumn('hears_peer', 'integer')
        .addColumn('version', 'text')
        .addColumn('indicators', 'text')
        .addColumn('wan', 'text')
        .addColumn('last_keepalive_at', ms)
        .addColumn('action_results', 'text')
        .addColumn('last_report_id', 'text')
        .addColumn('stale', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('nodes_site').on('nodes').column('site_id').execute();
      await db.schema
        .createTable('ranges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('subnet', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('reports')
        // Append-only, indexed by time alone: an index keyed by node would put every insert on a
        // different page and multiply the bytes each commit writes. Duplicates are caught on the
        // node row (last_report_id); AUTOINCREMENT is left out for the same reason.
        .addColumn('id', serial, (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('report_id', 'text', (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('reports_received').on('reports').column('received_at').execute();
      await db.schema
        .createTable('events')
        .addColumn('id', serial, (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('site_id', 'text')
        .addColumn('node_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_site').on('events').columns(['site_id', 'id']).execute();
      await db.schema.createIndex('events_type').on('events').columns(['type', 'id']).execute();
      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('event_types', 'text', (c) => c.notNull())
        .addColumn('site_ids', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('deliveries')
        .addColumn('id', serial, (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('event_id', ms, (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', ms, (c) => c.notNull())
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', ms)
        .addColumn('last_error', 'text')
        .addColumn('sent_at', ms)
        .addUniqueConstraint('deliveries_event_channel', ['event_id', 'channel_id'])
        .execute();
      await db.schema
        .createIndex('deliveries_due')
        .on('deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
    },
  };
}

/** When both nodes became active: a split brain is an event only once it has lasted long enough. */
function bothActiveSince(dialect: Dialect): Migration {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sites').addColumn('both_active_since', ms).execute();
    },
  };
}

/**
 * Managed settings and commands: a settings version per site (copied onto its nodes, so the report
 * path reads it with the node it already reads), what each node says it runs, and the commands
 * waiting for nodes (API test, switchover, maintenance).
 */
function managed(dialect: Dialect): Migration {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('sites')
        .addColumn('settings_version', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      for (const [name, type] of [
        ['settings_version', 'integer'],
        ['commands_pending', 'integer'],
      ] as const)
        await db.schema
          .alterTable('nodes')
          .addColumn(name, type, (c) => c.notNull().defaultTo(name === 'settings_version' ? 1 : 0))
          .execute();
      await db.schema.alterTable('nodes').addColumn('settings_state', 'text').execute();
      await db.schema.alterTable('nodes').addColumn('preflight', 'text').execute();
      await db.schema
        .createTable('commands')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('site_id', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('test_id', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('result', 'text')
        .addColumn('done_at', ms)
        .execute();
      await db.schema.createIndex('commands_node').on('commands').columns(['node_id', 'status']).execute();
      await db.schema.createIndex('commands_test').on('commands').column('test_id').execute();
    },
  };
}

/** A pathwatch node's latest paths, active path and routes (a site of kind `pathwatch`). */
const pathwatch: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('nodes').addColumn('pathwatch', 'text').execute();
  },
};

/** The claims and releases a node reports as running (a floating-IP move), for the site view. */
const progress: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('nodes').addColumn('progress', 'text').execute();
  },
};

/** The HA timers and preemption a site sets for its managed nodes (JSON; `{}`: each node's YAML decides). */
const tunables: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('sites')
      .addColumn('tunables', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
  },
};

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect),
    '0002_both_active_since': bothActiveSince(dialect),
    '0003_managed': managed(dialect),
    '0004_pathwatch': pathwatch,
    '0005_progress': progress,
    '0006_tunables': tunables,
  };
}
