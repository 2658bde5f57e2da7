import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Trust tiers that move by evidence:
 * - `trust_criteria`: a tenant's promotion criteria and modes (no row: the defaults);
 * - `agent_trust`: since when an agent holds its tier (the window its evidence is read over) and
 *   when the daily sweep last evaluated it (the row the sweep locks, so it runs once across nodes);
 * - `incidents.severity`: a critical incident demotes and blocks promotion. Incidents recorded
 *   before this migration are critical when their kind is one that demotes from now on.
 */
export const trustTiers: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('trust_criteria')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('criteria', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('agent_trust')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('tier_since', 'bigint', (c) => c.notNull())
      .addColumn('checked_at', 'bigint')
      .addPrimaryKeyConstraint('agent_trust_pk', ['tenant_id', 'agent_id'])
      .execute();
    await db.schema
      .alterTable('incidents')
      .addColumn('severity', 'text', (c) => c.notNull().defaultTo('major'))
      .execute();
    await sql`update incidents set severity = 'critical'
      where kind in ('circuit_breaker', 'budget_exceeded', 'review_rejected', 'sample_rejected')`.execute(db);
  },
};
