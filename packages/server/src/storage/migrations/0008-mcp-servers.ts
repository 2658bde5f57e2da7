import type { Kysely, Migration } from 'kysely';

/**
 * Upstream MCP servers added through the admin API (the servers file's stay in the file). The
 * definition is the checked entry as JSON, its secrets sealed under the secrets key.
 */
export const mcpServers: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('mcp_servers')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mcp_servers_pk', ['tenant_id', 'name'])
      .execute();
  },
};
