import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the console's reads at a million audit events (bench/console.ts measures them). The
 * audit search pages in `seq` order, so an index that narrows a filter must also hand its rows over
 * in `seq` order, or the planner walks the whole log in `seq` order instead (a task's eight events
 * found by reading a million rows):
 * - audit events by type, by task and by time, each followed by `seq` (the task and time indexes of
 *   0003 are replaced by these, which answer everything they did);
 * - decisions by task and time (the task trace's order), and by time, id and effect (the
 *   overview's decisions per hour, counted from the index alone, and a replay's pages);
 * - approval requests in id order, all or by status (the history and the inbox, newest first);
 * - the tenant's usage buckets by span and day: spend today, this month and per day, without reading
 *   every agent's minute and hour buckets.
 */
export const consoleReadIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('audit_events_task').execute();
    await db.schema.dropIndex('audit_events_time').execute();
    await db.schema.dropIndex('decisions_task').execute();
    const indexes = [
      ['audit_events_type', 'audit_events', ['tenant_id', 'type', 'seq']],
      ['audit_events_task', 'audit_events', ['tenant_id', 'task_id', 'seq']],
      ['audit_events_time', 'audit_events', ['tenant_id', 'created_at', 'seq']],
      ['decisions_task', 'decisions', ['tenant_id', 'task_id', 'created_at']],
      // Also the order a policy impact replay pages a window in (created_at, id): one index for both.
      ['decisions_time', 'decisions', ['tenant_id', 'created_at', 'id', 'effect']],
      ['agent_usage_tenant_span', 'agent_usage', ['tenant_id', 'span', 'window_start']],
      ['approval_requests_recent', 'approval_requests', ['tenant_id', 'id']],
      ['approval_requests_status', 'approval_requests', ['tenant_id', 'status', 'id']],
    ] as const;
    for (const [name, table, columns] of indexes) {
      await db.schema
        .createIndex(name)
        .on(table)
        .columns([...columns])
        .execute();
    }
  },
};
