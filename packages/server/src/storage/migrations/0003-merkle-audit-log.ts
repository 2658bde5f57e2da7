import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/** Tables an application never edits: their rows are only ever inserted. */
const APPEND_ONLY = ['audit_events', 'audit_nodes', 'audit_checkpoints'] as const;

/** Seven years, the common retention for financial and compliance records. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 2557;

/**
 * The audit trail becomes a per-tenant Merkle log (RFC 6962). The table-backed log of 0001 held no
 * hashes, so it is replaced rather than converted: no released version wrote it.
 *
 * - audit_log_state: one row per tenant, locked by every append; it keeps the size and the compact
 *   range (the roots of the perfect subtrees covering the log), so an append never re-reads the log.
 * - audit_events: the leaves. `body` is the RFC 8785 canonical JSON whose hash is the leaf; the other
 *   columns are copies of fields of the body, kept for queries and checked by full verification.
 * - audit_nodes: every complete interior node, so proofs read O(log n) rows.
 * - audit_checkpoints: signed checkpoints (C2SP signed notes).
 * - audit_keys: data keys for sealed payloads; destroying one shreds what it sealed.
 */
export const merkleAuditLog: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropTable('audit_events').execute();
    await db.schema.dropTable('audit_heads').execute();

    await db.schema
      .alterTable('tenants')
      .addColumn('audit_retention_days', 'integer', (c) =>
        c.notNull().defaultTo(DEFAULT_AUDIT_RETENTION_DAYS),
      )
      .execute();

    await db.schema
      .createTable('audit_log_state')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('compact_range', 'text', (c) => c.notNull())
      .addColumn('root', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('on_behalf_of', 'text')
      .addColumn('subject_type', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text')
      .addColumn('tool', 'text')
      .addColumn('effect', 'text')
      .addColumn('outcome', 'text')
      .addColumn('rules', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('leaf_hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_events_pk', ['tenant_id', 'seq'])
      .execute();
    for (const [name, columns] of [
      ['audit_events_agent', ['tenant_id', 'agent_id', 'seq']],
      ['audit_events_time', ['tenant_id', 'created_at']],
      ['audit_events_subject', ['tenant_id', 'subject_id']],
      ['audit_events_task', ['tenant_id', 'task_id']],
    ] as const) {
      await db.schema
        .createIndex(name)
        .on('audit_events')
        .columns([...columns])
        .execute();
    }

    await db.schema
      .createTable('audit_nodes')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('idx', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_nodes_pk', ['tenant_id', 'level', 'idx'])
      .execute();

    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('root', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_checkpoints_pk', ['tenant_id', 'size'])
      .execute();

    await db.schema
      .createTable('audit_keys')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('material', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('destroyed_at', 'bigint')
      .addPrimaryKeyConstraint('audit_keys_pk', ['tenant_id', 'id'])
      .execute();

    if (db.getExecutor().adapter instanceof PostgresAdapter) await postgresGuards(db);
    else await sqliteGuards(db);
  },
};

async function sqliteGuards(db: Kysely<unknown>): Promise<void> {
  // SQLite has no TRUNCATE: "DELETE FROM t" without WHERE is its truncate, and a DELETE trigger
  // turns that optimisation off, so the trigger below covers it.
  for (const table of APPEND_ONLY) {
    for (const verb of ['UPDATE', 'DELETE'] as const) {
      await sql
        .raw(
          `CREATE TRIGGER ${table}_no_${verb.toLowerCase()} BEFORE ${verb} ON ${table} ` +
            `BEGIN SELECT RAISE(ABORT, '${table} is append-only: ${verb} refused'); END`,
        )
        .execute(db);
    }
  }
}

async function postgresGuards(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END
    $$`.execute(db);
  for (const table of APPEND_ONLY) {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_change BEFORE UPDATE OR DELETE ON ${table} ` +
          'FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only()',
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} ` +
          'FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_append_only()',
      )
      .execute(db);
  }
}
