import type { Kysely, Migration } from 'kysely';

/**
 * Step-up re-authentication:
 * - human_reauth_secrets: each human's re-authentication secret (scrypt), a second thing they know
 *   beside the token their tools hold, with a lockout after repeated failures;
 * - reauth_proofs: short-lived, single-use proofs minted by presenting that secret, each bound to
 *   one approval request, its action digest and the human;
 * - step_up_hooks: per tenant, the product sign-in that re-authenticates end customers who are not
 *   Warden users (URL, and the shared secret sealed under the secrets key);
 * - step_up_requests: each signed re-authentication request sent through a hook; the product's
 *   confirmation names it and uses it up.
 */
export const stepUp: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('human_reauth_secrets')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('human_id', 'text', (c) => c.primaryKey().references('humans.id'))
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('failed_attempts', 'integer', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('reauth_proofs')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('approval_id', 'text', (c) => c.notNull())
      .addColumn('action_digest', 'text')
      .addColumn('human_id', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createTable('step_up_hooks')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('step_up_requests')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('approval_id', 'text', (c) => c.notNull())
      .addColumn('stage', 'integer', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('action_digest', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('step_up_requests_approval')
      .on('step_up_requests')
      .columns(['tenant_id', 'approval_id'])
      .execute();
  },
};
