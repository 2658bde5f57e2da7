import type { Kysely, Migration } from 'kysely';

/**
 * Model providers added through the admin API (the providers file's stay in the file), like
 * `mcp_servers`: the checked entry as JSON, its API key sealed under the secrets key.
 */
export const llmProviders: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('llm_providers')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('llm_providers_pk', ['tenant_id', 'name'])
      .execute();
  },
};
