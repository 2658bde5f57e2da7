import { EMPTY_TASK, type TaskFacts } from '@warden/policy';
import type { Kysely } from 'kysely';
import { allColumns, compiledInsert, compiledQuery } from '../storage/compiled-query.js';
import type { Dialect, Storage, Trx } from '../storage/database.js';
import type { Database, TaskLabelsTable, TaskToolCountsTable } from '../storage/schema.js';

/**
 * Task history: what conditions read as `task.*`, computed from what Warden recorded in the task.
 * Every decision with a task adds to its tool's counters, and every failed outcome to its
 * failures, in the transaction that records it; counters only grow by `+ n` in an upsert, so
 * concurrent calls and several nodes never lose an update. Reading is two small indexed queries,
 * made only for bundles whose conditions read `task`.
 */

/** One decision's (or outcome's) addition to its task's history. */
export interface TaskIncrement {
  readonly tenantId: string;
  readonly taskId: string;
  readonly tool: string;
  readonly calls: number;
  readonly denied: number;
  readonly failures: number;
  /** Labels the call gave the task (rules that matched an allowed call). */
  readonly labels: readonly string[];
}

const readCounts = compiledQuery((db, param) =>
  db
    .selectFrom('task_tool_counts')
    .select(['tool', 'calls', 'denied', 'failures'])
    .where('tenant_id', '=', param('tenantId'))
    .where('task_id', '=', param('taskId')),
);

const readSeq = compiledQuery((db, param) =>
  db
    .selectFrom('tasks')
    .select(['history_seq'])
    .where('tenant_id', '=', param('tenantId'))
    .where('id', '=', param('taskId')),
);

const readLabels = compiledQuery((db, param) =>
  db
    .selectFrom('task_labels')
    .select(['label'])
    .where('tenant_id', '=', param('tenantId'))
    .where('task_id', '=', param('taskId')),
);

const addCounts = compiledInsert<TaskToolCountsTable>(
  allColumns<TaskToolCountsTable>()(['tenant_id', 'task_id', 'tool', 'calls', 'denied', 'failures']),
  (db, rows) =>
    db
      .insertInto('task_tool_counts')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'task_id', 'tool']).doUpdateSet((eb) => ({
          calls: eb('task_tool_counts.calls', '+', eb.ref('excluded.calls')),
          denied: eb('task_tool_counts.denied', '+', eb.ref('excluded.denied')),
          failures: eb('task_tool_counts.failures', '+', eb.ref('excluded.failures')),
        })),
      ),
);

const addLabels = compiledInsert<TaskLabelsTable>(
  allColumns<TaskLabelsTable>()(['tenant_id', 'task_id', 'label', 'created_at']),
  (db, rows) =>
    db
      .insertInto('task_labels')
      .values(rows)
      .onConflict((oc) => oc.columns(['tenant_id', 'task_id', 'label']).doNothing()),
);

/** A task's history as read, and how many decisions it counted then (`tasks.history_seq`). */
export interface TaskHistoryRead {
  readonly facts: TaskFacts;
  readonly seq: number;
}

export class TaskHistory {
  constructor(private readonly storage: Storage) {}

  /**
   * The task's history as committed now (outside any transaction: the policy step's read). The count
   * is read first: a decision committed in between then shows in the facts and not in the count,
   * which only makes the record step read the history again, never trust a stale one.
   */
  async read(tenantId: string, taskId: string): Promise<TaskHistoryRead> {
    const { db, dialect } = this.storage;
    const { rows } = await readSeq(db, dialect, { tenantId, taskId });
    const seq = Number(rows[0]?.history_seq ?? 0);
    return { facts: await readTaskFacts(db, dialect, tenantId, taskId), seq };
  }
}

/** The facts of one task, read with `db` (a transaction holding the task's row, in the record step). */
export async function readTaskFacts(
  db: Kysely<Database>,
  dialect: Dialect,
  tenantId: string,
  taskId: string,
): Promise<TaskFacts> {
  const [counts, labels] = await Promise.all([
    readCounts(db, dialect, { tenantId, taskId }),
    readLabels(db, dialect, { tenantId, taskId }),
  ]);
  if (counts.rows.length === 0 && labels.rows.length === 0) return EMPTY_TASK;
  return factsOf(
    counts.rows.map((r) => ({
      tool: r.tool,
      calls: Number(r.calls),
      denied: Number(r.denied),
      failures: Number(r.failures),
    })),
    labels.rows.map((r) => r.label),
  );
}

/** The facts a set of per-tool counters and labels make. Pure. */
export function factsOf(
  counts: readonly { tool: string; calls: number; denied: number; failures: number }[],
  labels: readonly string[],
): TaskFacts {
  let calls = 0;
  let denied = 0;
  const toolCalls: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const row of counts) {
    calls += row.calls;
    denied += row.denied;
    if (row.calls > 0) toolCalls[row.tool] = row.calls;
    if (row.failures > 0) failures[row.tool] = row.failures;
  }
  return {
    calls,
    denied,
    tool_calls: toolCalls,
    failures,
    tools: Object.keys(toolCalls).sort(),
    labels: [...new Set(labels)].sort(),
  };
}

/** `facts` with one more decision of `tool` added: what the next call of the task reads. Pure. */
export function withCall(
  facts: TaskFacts,
  tool: string,
  denied: boolean,
  labels: readonly string[],
): TaskFacts {
  const toolCalls = { ...facts.tool_calls, [tool]: (facts.tool_calls[tool] ?? 0) + 1 };
  return {
    calls: facts.calls + 1,
    denied: facts.denied + (denied ? 1 : 0),
    tool_calls: toolCalls,
    failures: facts.failures,
    tools: facts.tools.includes(tool) ? facts.tools : [...facts.tools, tool].sort(),
    labels:
      labels.length === 0 || labels.every((l) => facts.labels.includes(l))
        ? facts.labels
        : [...new Set([...facts.labels, ...labels])].sort(),
  };
}

/**
 * Adds increments to the task history, summed per task and tool first and written in key order, so
 * two nodes' transactions lock the same rows in the same order.
 */
export async function addToTaskHistory(
  trx: Trx,
  dialect: Dialect,
  increments: readonly TaskIncrement[],
  now: number,
): Promise<void> {
  if (increments.length === 0) return;
  const counts = new Map<string, TaskToolCountsTable>();
  const labels = new Map<string, TaskLabelsTable>();
  for (const inc of increments) {
    const key = `${inc.tenantId}|${inc.taskId}|${inc.tool}`;
    const row = counts.get(key) ?? {
      tenant_id: inc.tenantId,
      task_id: inc.taskId,
      tool: inc.tool,
      calls: 0,
      denied: 0,
      failures: 0,
    };
    row.calls += inc.calls;
    row.denied += inc.denied;
    row.failures += inc.failures;
    counts.set(key, row);
    for (const label of inc.labels) {
      labels.set(`${inc.tenantId}|${inc.taskId}|${label}`, {
        tenant_id: inc.tenantId,
        task_id: inc.taskId,
        label,
        created_at: now,
      });
    }
  }
  await addCounts(trx, dialect, inKeyOrder(counts));
  if (labels.size > 0) await addLabels(trx, dialect, inKeyOrder(labels));
}

function inKeyOrder<T>(rows: ReadonlyMap<string, T>): T[] {
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
