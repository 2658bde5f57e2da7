import type { Kysely, Migration } from 'kysely';

/**
 * Delegation grants: an agent, with its own key, lets another agent act for it (for some tools,
 * optionally one task, until an expiry). A decide call naming a delegator must present one, so a
 * delegation chain is proven by each delegator instead of asserted by the caller.
 */
export const delegationGrants: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('delegation_grants')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('delegator_id', 'text', (c) => c.notNull())
      .addColumn('delegate_id', 'text', (c) => c.notNull())
      .addColumn('tools', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_by', 'text')
      .execute();
    await db.schema
      .createIndex('delegation_grants_delegator')
      .on('delegation_grants')
      .columns(['tenant_id', 'delegator_id'])
      .execute();
    await db.schema
      .createIndex('delegation_grants_delegate')
      .on('delegation_grants')
      .columns(['tenant_id', 'delegate_id'])
      .execute();
  },
};
