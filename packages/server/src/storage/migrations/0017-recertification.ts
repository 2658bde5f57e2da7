import type { Kysely, Migration } from 'kysely';

/**
 * Recertification campaigns and the monthly drift notice:
 * - `recert_campaigns`: who started a campaign, over which agents, until when, and what happens to
 *   an agent nobody certified (escalated to security at the deadline, then suspended or flagged);
 * - `recert_items`: one row per agent of a campaign: its owner's answer (keep, reduce, retire) or
 *   what the deadline did to it, with the drift figures the owner saw;
 * - `recert_settings`: a tenant's defaults for new campaigns;
 * - `drift_notices`: one row per tenant and month, taken by the node that sends that month's
 *   notices, so they go out once however many nodes run the job.
 *
 * The drift report groups decisions with the per-agent index of 0001 (tenant, agent, time); an index
 * also carrying tool, rule, code and effect was measured (bench/drift.ts, BENCH_INDEX_AB) and left
 * out: it saved little on the report and made every decision's insert dearer (bench/drift-index.ts).
 */
export const recertification: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('recert_campaigns')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('deadline_at', 'bigint', (c) => c.notNull())
      .addColumn('grace_ms', 'bigint', (c) => c.notNull())
      .addColumn('on_no_response', 'text', (c) => c.notNull())
      .addColumn('drift_days', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('escalated_at', 'bigint')
      .addColumn('closed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('recert_campaigns_due')
      .on('recert_campaigns')
      .columns(['status', 'deadline_at'])
      .execute();
    await db.schema
      .createIndex('recert_campaigns_tenant')
      .on('recert_campaigns')
      .columns(['tenant_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('recert_items')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('campaign_id', 'text', (c) => c.notNull().references('recert_campaigns.id'))
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('drift', 'text', (c) => c.notNull())
      .addColumn('decision', 'text')
      .addColumn('comment', 'text')
      .addColumn('reduction', 'text')
      .addColumn('certified_by', 'text')
      .addColumn('certified_at', 'bigint')
      .addColumn('escalated_at', 'bigint')
      .addColumn('resolved_at', 'bigint')
      .addPrimaryKeyConstraint('recert_items_pk', ['campaign_id', 'agent_id'])
      .execute();

    await db.schema
      .createTable('recert_settings')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('on_no_response', 'text', (c) => c.notNull())
      .addColumn('grace_seconds', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('drift_notices')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('owners', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('drift_notices_pk', ['tenant_id', 'period'])
      .execute();
  },
};
