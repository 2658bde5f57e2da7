import type { Insertable } from 'kysely';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import { insertApproval } from '../approvals/approval-store.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { Storage, Trx } from '../storage/database.js';
import { GroupCommit } from '../storage/group-commit.js';
import type { DecisionsTable, TasksTable } from '../storage/schema.js';
import type { UsageIncrement, UsageStore } from '../usage/usage-store.js';

/** Everything one decision writes; all of it commits together or not at all. */
export interface DecisionWrite {
  readonly decision: Insertable<DecisionsTable>;
  readonly task: TasksTable | null;
  readonly usage: UsageIncrement;
  readonly audit: AuditEventInput;
  /** The approval request a review (or sampled allow) opens, with its audit event. */
  readonly approval?: PreparedApproval;
}

const MAX_BATCH = 200;

/**
 * The decide path's writes, group-committed: a decision's answer leaves only after the transaction
 * holding it (its row, task, usage and audit event) has committed, but one commit serves many.
 */
export class DecisionRecorder {
  private readonly commits: GroupCommit<DecisionWrite>;

  constructor(
    storage: Storage,
    private readonly audit: AuditLog,
    private readonly usage: UsageStore,
  ) {
    this.commits = new GroupCommit(storage, (trx, writes) => this.write(trx, writes), MAX_BATCH);
  }

  record(write: DecisionWrite): Promise<void> {
    return this.commits.submit(write);
  }

  /** Resolves when everything queued so far has been written (or has failed). */
  idle(): Promise<void> {
    return this.commits.idle();
  }

  private async write(trx: Trx, writes: readonly DecisionWrite[]): Promise<void> {
    await trx
      .insertInto('decisions')
      .values(writes.map((w) => w.decision))
      .execute();
    // One row per task: a statement may not upsert the same row twice.
    const tasks = new Map<string, TasksTable>();
    for (const w of writes) if (w.task) tasks.set(`${w.task.tenant_id}|${w.task.id}`, w.task);
    if (tasks.size > 0) {
      await trx
        .insertInto('tasks')
        .values([...tasks.values()])
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'id'])
            .doUpdateSet((eb) => ({ last_action_at: eb.ref('excluded.last_action_at') })),
        )
        .execute();
    }
    for (const w of writes) if (w.approval) await insertApproval(trx, w.approval.request);
    await this.usage.add(
      trx,
      writes.map((w) => w.usage),
    );
    const byTenant = new Map<string, AuditEventInput[]>();
    for (const w of writes) {
      const tenantId = w.decision.tenant_id;
      const events = byTenant.get(tenantId) ?? [];
      events.push(w.audit);
      if (w.approval) events.push(w.approval.audit);
      byTenant.set(tenantId, events);
    }
    for (const [tenantId, events] of byTenant) await this.audit.append(trx, tenantId, events);
  }
}
