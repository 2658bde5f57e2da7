import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the console's reads at a million audit events (bench/console.ts measures them):
 * - audit events by type, newest first: the anomaly notices, policy activations, and the audit
 *   search's `type` filter, which otherwise walks the log back until enough rows match;
 * - decisions by time with their effect: the overview's decisions per hour, counted from the index;
 * - the tenant's usage buckets by span and day: spend today, this month and per day, without reading
 *   every agent's minute and hour buckets.
 */
export const consoleReadIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_events_type')
      .on('audit_events')
      .columns(['tenant_id', 'type', 'seq'])
      .execute();
    await db.schema
      .createIndex('decisions_time')
      .on('decisions')
      .columns(['tenant_id', 'created_at', 'effect'])
      .execute();
    await db.schema
      .createIndex('agent_usage_tenant_span')
      .on('agent_usage')
      .columns(['tenant_id', 'span', 'window_start'])
      .execute();
  },
};
