import type { Kysely, Migration } from 'kysely';

/**
 * The web console's sign-in: sessions (a cookie's secret, stored as its SHA-256) and one-time
 * sign-in codes (the code in a link `warden up` prints, stored as its SHA-256, used once).
 */
export const consoleSessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('console_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('human_id', 'text', (c) => c.notNull().references('humans.id'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      // How the human proved who they are: `token` or `code` (later: an SSO method's name).
      .addColumn('method', 'text', (c) => c.notNull())
      // The human token signed in with: revoking it ends the session too.
      .addColumn('token_id', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .execute();
    await db.schema
      .createIndex('console_sessions_human')
      .on('console_sessions')
      .columns(['tenant_id', 'human_id'])
      .execute();
    await db.schema
      .createIndex('console_sessions_expiry')
      .on('console_sessions')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('console_sign_in_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('human_id', 'text', (c) => c.notNull().references('humans.id'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      // Who asked for the link: the human themself, an admin, or `system` (`warden up`).
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('session_id', 'text')
      .execute();
    await db.schema
      .createIndex('console_sign_in_codes_expiry')
      .on('console_sign_in_codes')
      .column('expires_at')
      .execute();
  },
};
