import type { Kysely, Migration } from 'kysely';

/**
 * Cost and usage governance.
 *
 * - tenants.time_zone: calendar budget windows (day, week, month) follow the tenant's clock.
 * - tenants.frozen_*: the tenant-wide kill switch; every decision of a frozen tenant is denied.
 * - agents.breaker_*: a tripped circuit breaker; the agent's decisions are denied until a human resets it.
 * - budgets: limits per scope (task, agent, role, tenant), window and unit. Amounts are integers:
 *   usd in micro-dollars, the other units as counted.
 * - budget_counters: one row per budget, subject (agent, task, role or tenant) and window. Admission
 *   locks the rows it charges, so reserved + spent never passes the limit across nodes.
 *   `alert_level` is the highest threshold already announced in that window (announced once).
 * - budget_reservations: what a decision reserved, settled by its outcome or, when stale, at its estimate.
 * - rate_limits: sliding-window call limits per agent, task or tool (counters live in memory or Redis).
 * - agent_baselines: per-agent EWMA baselines of calls, records and cost per hour (anomaly signals).
 */
export const budgets: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('tenants')
      .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
      .execute();
    await db.schema.alterTable('tenants').addColumn('frozen_at', 'bigint').execute();
    await db.schema.alterTable('tenants').addColumn('frozen_by', 'text').execute();
    await db.schema.alterTable('tenants').addColumn('frozen_reason', 'text').execute();
    await db.schema.alterTable('agents').addColumn('breaker_tripped_at', 'bigint').execute();
    await db.schema.alterTable('agents').addColumn('breaker_reason', 'text').execute();

    await db.schema
      .createTable('budgets')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('tier', 'text')
      .addColumn('role', 'text')
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('unit', 'text', (c) => c.notNull())
      .addColumn('limit_amount', 'bigint', (c) => c.notNull())
      .addColumn('thresholds', 'text', (c) => c.notNull())
      .addColumn('on_limit', 'text', (c) => c.notNull())
      .addColumn('suspend_agent', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('budgets_tenant').on('budgets').columns(['tenant_id']).execute();
    await db.schema
      .createIndex('budgets_name')
      .on('budgets')
      .columns(['tenant_id', 'name'])
      .unique()
      .execute();

    await db.schema
      .createTable('budget_counters')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('budget_id', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('reserved', 'bigint', (c) => c.notNull())
      .addColumn('spent', 'bigint', (c) => c.notNull())
      .addColumn('alert_level', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('budget_counters_pk', ['budget_id', 'subject', 'window_start'])
      .execute();

    await db.schema
      .createTable('budget_reservations')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('decision_id', 'text', (c) => c.notNull().unique())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('charges', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('settled_at', 'bigint')
      .addColumn('flagged', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('budget_reservations_due')
      .on('budget_reservations')
      .columns(['status', 'expires_at'])
      .execute();

    await db.schema
      .createTable('rate_limits')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text')
      .addColumn('tier', 'text')
      .addColumn('tool', 'text')
      .addColumn('max_calls', 'integer', (c) => c.notNull())
      .addColumn('window_seconds', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('rate_limits_name')
      .on('rate_limits')
      .columns(['tenant_id', 'name'])
      .unique()
      .execute();

    await db.schema
      .createTable('agent_baselines')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('calls_ewma', 'double precision', (c) => c.notNull())
      .addColumn('records_ewma', 'double precision', (c) => c.notNull())
      .addColumn('cost_ewma', 'double precision', (c) => c.notNull())
      .addColumn('samples', 'integer', (c) => c.notNull())
      .addColumn('folded_hour', 'bigint', (c) => c.notNull())
      .addColumn('alerted_hour', 'bigint')
      .addColumn('alerted', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('agent_baselines_pk', ['tenant_id', 'agent_id'])
      .execute();
  },
};
