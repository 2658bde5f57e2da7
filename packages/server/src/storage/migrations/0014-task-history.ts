import type { Kysely, Migration } from 'kysely';

/**
 * Task history, the facts conditions read as `task.*`: per task and tool, the calls decided and
 * denied and the failed outcomes (`task_tool_counts`), and the labels rules gave the task
 * (`task_labels`). Counters are only ever incremented inside the transaction that records the
 * decision or the outcome, so they stay exact with concurrent calls and several nodes.
 * `tasks.history_seq` counts the decisions recorded in the task: a verdict that read the history
 * with the same count as its task's row holds when it is recorded needs no second read.
 */
export const taskHistory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('tasks')
      .addColumn('history_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createTable('task_tool_counts')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('tool', 'text', (c) => c.notNull())
      .addColumn('calls', 'integer', (c) => c.notNull())
      .addColumn('denied', 'integer', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_tool_counts_pk', ['tenant_id', 'task_id', 'tool'])
      .execute();
    await db.schema
      .createTable('task_labels')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('task_labels_pk', ['tenant_id', 'task_id', 'label'])
      .execute();
  },
};
