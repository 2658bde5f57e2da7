import type { Insertable } from 'kysely';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import { insertApproval } from '../approvals/approval-store.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { ChargeRequest, ChargeResult } from '../budgets/budget-ledger.js';
import { applyCharges } from '../budgets/budget-ledger.js';
import { budgetIncidents, crossingEvents } from '../budgets/crossing-effects.js';
import type { Storage, Trx } from '../storage/database.js';
import { GroupCommit } from '../storage/group-commit.js';
import type { BudgetReservationsTable, DecisionsTable, TasksTable } from '../storage/schema.js';
import type { UsageIncrement, UsageStore } from '../usage/usage-store.js';

/** Everything one decision writes; all of it commits together or not at all. */
export interface DecisionWrite {
  readonly decision: Insertable<DecisionsTable>;
  readonly task: TasksTable | null;
  readonly usage: UsageIncrement;
  readonly audit: AuditEventInput;
  /** The approval request a review (or sampled allow) opens, with its audit event. */
  readonly approval?: PreparedApproval;
  /** What the call asks of its budgets, decided in the same transaction. */
  readonly budget?: BudgetAdmission;
}

export interface BudgetAdmission {
  readonly request: ChargeRequest;
  /** Held until the outcome settles it (a call with an estimate). */
  readonly reservation: BudgetReservationsTable | null;
  /** The write that replaces this one when a hard budget has no room: a deny, recording nothing else. */
  readonly refused: (result: ChargeResult) => DecisionWrite;
}

/** What was committed for one decision: the write as it went in, and its budget charge. */
export interface RecordedWrite {
  readonly write: DecisionWrite;
  readonly charge: ChargeResult | null;
}

const MAX_BATCH = 200;

/**
 * The decide path's writes, group-committed: a decision's answer leaves only after the transaction
 * holding it (its row, task, budget charge, usage and audit event) has committed, but one commit
 * serves many.
 */
export class DecisionRecorder {
  private readonly commits: GroupCommit<DecisionWrite, RecordedWrite>;

  constructor(
    storage: Storage,
    private readonly audit: AuditLog,
    private readonly usage: UsageStore,
  ) {
    this.commits = new GroupCommit(storage, (trx, writes) => this.write(trx, writes), MAX_BATCH);
  }

  record(write: DecisionWrite): Promise<RecordedWrite> {
    return this.commits.submit(write);
  }

  /** Resolves when everything queued so far has been written (or has failed). */
  idle(): Promise<void> {
    return this.commits.idle();
  }

  private async write(trx: Trx, submitted: readonly DecisionWrite[]): Promise<RecordedWrite[]> {
    const now = Math.max(...submitted.map((w) => w.decision.created_at));
    // Budgets first: a call a hard budget has no room for becomes a deny before anything is written.
    const charges = submitted.some((w) => w.budget)
      ? await applyCharges(
          trx,
          submitted.map((w) => w.budget?.request ?? null),
          now,
        )
      : submitted.map(() => null);
    const recorded = submitted.map((w, i): RecordedWrite => {
      const charge = charges[i] ?? null;
      return { write: charge && !charge.admitted && w.budget ? w.budget.refused(charge) : w, charge };
    });
    const writes = recorded.map((r) => r.write);
    await trx
      .insertInto('decisions')
      .values(writes.map((w) => w.decision))
      .execute();
    // One row per task: a statement may not upsert the same row twice. Key order keeps two nodes'
    // batches from locking the same rows in opposite orders.
    const tasks = new Map<string, TasksTable>();
    for (const w of writes) if (w.task) tasks.set(`${w.task.tenant_id}|${w.task.id}`, w.task);
    if (tasks.size > 0) {
      await trx
        .insertInto('tasks')
        .values([...tasks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, task]) => task))
        .onConflict((oc) =>
          oc
            .columns(['tenant_id', 'id'])
            .doUpdateSet((eb) => ({ last_action_at: eb.ref('excluded.last_action_at') })),
        )
        .execute();
    }
    for (const w of writes) if (w.approval) await insertApproval(trx, w.approval.request);
    const reservations = recorded.flatMap((r, i) =>
      r.charge?.admitted && submitted[i]?.budget?.reservation ? [submitted[i].budget.reservation] : [],
    );
    if (reservations.length > 0) await trx.insertInto('budget_reservations').values(reservations).execute();
    await this.usage.add(
      trx,
      writes.map((w) => w.usage),
    );
    const byTenant = new Map<string, AuditEventInput[]>();
    for (const [i, w] of writes.entries()) {
      const tenantId = w.decision.tenant_id;
      const events = byTenant.get(tenantId) ?? [];
      events.push(w.audit);
      if (w.approval) events.push(w.approval.audit);
      const charge = recorded[i]?.charge;
      if (charge) {
        events.push(...crossingEvents(charge.crossings, now));
        events.push(...(await budgetIncidents(trx, tenantId, charge.crossings, now)));
      }
      byTenant.set(tenantId, events);
    }
    for (const [tenantId, events] of byTenant) await this.audit.append(trx, tenantId, events);
    return recorded;
  }
}
