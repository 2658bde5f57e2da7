import type { Kysely, Migration } from 'kysely';

/**
 * Policy changes without surprises:
 * - `decisions.policy_input`: what the policy engine was given besides the tool and the arguments
 *   (agent facts with grants, delegators, context, usage, time) and what it answered, so a candidate
 *   bundle can replay the decision faithfully (`warden policy impact`). Null for decisions recorded
 *   before this column, and for those a server gate decided before the policy was asked.
 * - `policy_schedules`: a reload held back for a grace period (notify-first), activated once by the
 *   schedule worker unless cancelled.
 * - `policy_settings`: per tenant, the default grace period of a reload that would take allows away.
 * - `policy_shadows` and `policy_shadow_divergences`: a candidate bundle evaluated beside the active
 *   one on live traffic, and every call on which the two disagreed.
 */
export const policyChanges: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('decisions').addColumn('policy_input', 'text').execute();
    // A replay reads a tenant's decisions of a window in (created_at, id) order, a page at a time,
    // by 0012's decisions_time (tenant_id, created_at, id, effect): no second index on every insert.

    await db.schema
      .createTable('policy_schedules')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('files', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('activate_at', 'bigint', (c) => c.notNull())
      .addColumn('impact', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('closed_by', 'text')
      .addColumn('closed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('policy_schedules_due')
      .on('policy_schedules')
      .columns(['status', 'activate_at'])
      .execute();

    await db.schema
      .createTable('policy_settings')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('notify_first_seconds', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('policy_shadows')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('files', 'text', (c) => c.notNull())
      .addColumn('started_by', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('policy_shadow_divergences')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('decision_id', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'text', (c) => c.notNull())
      .addColumn('tool', 'text', (c) => c.notNull())
      .addColumn('active_version', 'text', (c) => c.notNull())
      .addColumn('shadow_version', 'text', (c) => c.notNull())
      .addColumn('active_effect', 'text', (c) => c.notNull())
      .addColumn('active_code', 'text', (c) => c.notNull())
      .addColumn('active_rule', 'text')
      .addColumn('shadow_effect', 'text', (c) => c.notNull())
      .addColumn('shadow_code', 'text', (c) => c.notNull())
      .addColumn('shadow_rule', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('policy_shadow_divergences_tenant')
      .on('policy_shadow_divergences')
      .columns(['tenant_id', 'shadow_version', 'created_at'])
      .execute();
  },
};
