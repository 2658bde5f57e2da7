import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * Closes two ways around the audit trail's guards and lets a node vouch for what it has not signed yet.
 *
 * - SQLite's REPLACE conflict resolution (`INSERT OR REPLACE`, `REPLACE INTO`) deletes the conflicting
 *   row without firing DELETE triggers (unless recursive_triggers is on), so 0003's triggers let it
 *   through. A BEFORE INSERT trigger now refuses any insert whose key (or event id) is already taken,
 *   whatever the conflict clause. PostgreSQL has no REPLACE; its `ON CONFLICT DO UPDATE` fires the
 *   UPDATE trigger 0003 installed, so it is refused already.
 * - audit_events.mac: HMAC-SHA256 of the leaf hash under a key derived from the node's key-encryption
 *   key. Events written before this column have none; the ones a signed checkpoint covers need none,
 *   and a node refuses to sign an event without a valid one (see docs/audit.md).
 */
export const auditTamperEvidence: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('audit_events').addColumn('mac', 'text').execute();
    if (db.getExecutor().adapter instanceof PostgresAdapter) return;
    const keys = {
      audit_events: [
        'tenant_id = NEW.tenant_id AND seq = NEW.seq',
        // id is unique on its own: REPLACE on an id taken at another seq would delete that event.
        'id = NEW.id',
      ],
      audit_nodes: ['tenant_id = NEW.tenant_id AND level = NEW.level AND idx = NEW.idx'],
      audit_checkpoints: ['tenant_id = NEW.tenant_id AND size = NEW.size'],
    } as const;
    for (const [table, conditions] of Object.entries(keys)) {
      const taken = conditions.map((where) => `EXISTS (SELECT 1 FROM ${table} WHERE ${where})`).join(' OR ');
      await sql
        .raw(
          `CREATE TRIGGER ${table}_no_replace BEFORE INSERT ON ${table} WHEN ${taken} ` +
            `BEGIN SELECT RAISE(ABORT, '${table} is append-only: an insert over an existing row refused'); END`,
        )
        .execute(db);
    }
  },
};
