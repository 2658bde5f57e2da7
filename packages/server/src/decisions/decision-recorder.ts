import type { TaskFacts } from '@warden/policy';
import type { Insertable } from 'kysely';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import { insertApproval } from '../approvals/approval-store.js';
import {
  checkRedemption,
  consumeApproval,
  type Redemption,
  type RedemptionClaim,
} from '../approvals/redemption.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { ChargeResult } from '../budgets/budget-ledger.js';
import { applyCharges } from '../budgets/budget-ledger.js';
import { budgetIncidents, crossingEvents } from '../budgets/crossing-effects.js';
import type { BudgetAdmission } from '../budgets/decision-budgets.js';
import { allColumns, compiledInsert } from '../storage/compiled-query.js';
import type { Storage, Trx } from '../storage/database.js';
import { GroupCommit } from '../storage/group-commit.js';
import type { BudgetReservationsTable, DecisionsTable, TasksTable } from '../storage/schema.js';
import type { UsageStore } from '../usage/usage-store.js';
import { type ApprovalRef, type Decided, refOf } from './decision.js';
import { type Call, type DecisionWrite, decisionWrite, taskRowOf } from './decision-write.js';
import { type HistoryCheck, recheckedDecision } from './history-check.js';
import { budgetDeny, redemptionDeny, refusalPayload } from './late-denies.js';
import { addToTaskHistory, readTaskFacts, type TaskIncrement, withCall } from './task-history.js';

/** A decided call, ready to record: what can still turn it into a deny travels with it as data. */
export interface DecisionPlan {
  readonly call: Call;
  readonly decision: Decided;
  /** The request a review (or sampled allow) opens. */
  readonly opened?: PreparedApproval;
  /** The approval the call uses: checked and consumed in the transaction that records the decision. */
  readonly redemption?: RedemptionClaim;
  /** What the call asks of its budgets, charged in the same transaction. */
  readonly budget?: BudgetAdmission;
  /** The task history the verdict read, re-checked against the history the call follows. */
  readonly history?: HistoryCheck;
}

/** What was committed for one call. */
export interface RecordedPlan {
  /** The decision as written: the plan's, or the deny the transaction turned it into. */
  readonly decision: Decided;
  /** The request the decision opened or used. */
  readonly approvalRef: ApprovalRef | null;
  /** The request it opened, when that was written (its approvers are told after commit). */
  readonly opened: PreparedApproval | undefined;
  readonly charge: ChargeResult | null;
}

const MAX_BATCH = 200;

const insertDecisions = compiledInsert<Insertable<DecisionsTable>>(
  allColumns<DecisionsTable>()([
    'id',
    'tenant_id',
    'agent_id',
    'key_id',
    'task_id',
    'tool',
    'args',
    'effect',
    'code',
    'reason',
    'deciding_rule',
    'detail',
    'policy_version',
    'evaluation_micros',
    'created_at',
    'outcome_status',
    'outcome',
    'outcome_at',
    'policy_input',
  ]),
  (db, rows) => db.insertInto('decisions').values(rows),
);
/** Creates or touches the batch's tasks, counting their new decisions; answers each task's count. */
const upsertTasks = compiledInsert<TasksTable, { tenant_id: string; id: string; history_seq: number }>(
  allColumns<TasksTable>()([
    'tenant_id',
    'id',
    'agent_id',
    'parent_task_id',
    'initiator',
    'on_behalf_of',
    'interface',
    'environment',
    'created_at',
    'last_action_at',
    'history_seq',
  ]),
  (db, rows) =>
    db
      .insertInto('tasks')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'id']).doUpdateSet((eb) => ({
          last_action_at: eb.ref('excluded.last_action_at'),
          history_seq: eb('tasks.history_seq', '+', eb.ref('excluded.history_seq')),
        })),
      )
      .returning(['tenant_id', 'id', 'history_seq']),
);
const insertReservations = compiledInsert<BudgetReservationsTable>(
  allColumns<BudgetReservationsTable>()([
    'tenant_id',
    'id',
    'decision_id',
    'agent_id',
    'charges',
    'status',
    'created_at',
    'expires_at',
    'settled_at',
    'flagged',
  ]),
  (db, rows) => db.insertInto('budget_reservations').values(rows),
);

/** What each recorded call adds to its task's history: a call, a deny, the labels of an allow. */
function taskIncrements(plans: readonly DecisionPlan[], recorded: readonly RecordedPlan[]): TaskIncrement[] {
  const increments: TaskIncrement[] = [];
  for (const [i, plan] of plans.entries()) {
    const { taskId } = plan.call;
    const decision = recorded[i]?.decision;
    if (!taskId || !decision) continue;
    increments.push({
      tenantId: plan.call.tenantId,
      taskId,
      tool: plan.call.tool,
      calls: 1,
      denied: decision.effect === 'deny' ? 1 : 0,
      failures: 0,
      labels: decision.effect === 'allow' ? (decision.labels ?? []) : [],
    });
  }
  return increments;
}

/**
 * The decide path's writes, group-committed: a decision's answer leaves only after the transaction
 * holding it (its row, task, approval use, budget charge, usage and audit event) has committed, but
 * one commit serves many. In that transaction, in order: the approvals calls use are checked (rows
 * locked); the budgets of the calls still allowed are charged; each approval is consumed by the call
 * still allowed to use it; then every call's write is built with `decisionWrite`, a call that lost its
 * approval or its budget room as the deny it became. So each deny is applied exactly once, and a
 * failed transaction leaves no trace of any of it.
 */
export class DecisionRecorder {
  private readonly commits: GroupCommit<DecisionPlan, RecordedPlan>;

  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditLog,
    private readonly usage: UsageStore,
  ) {
    this.commits = new GroupCommit(storage, (trx, plans) => this.write(trx, plans), MAX_BATCH);
  }

  record(plan: DecisionPlan): Promise<RecordedPlan> {
    return this.commits.submit(plan);
  }

  /** Resolves when everything queued so far has been written (or has failed). */
  idle(): Promise<void> {
    return this.commits.idle();
  }

  private async write(trx: Trx, plans: readonly DecisionPlan[]): Promise<RecordedPlan[]> {
    let now = 0;
    for (const plan of plans) if (plan.call.now > now) now = plan.call.now;
    const { dialect } = this.storage;
    // Tasks first: upserting a task's row locks it until this transaction ends, so the decisions of
    // one task are recorded one transaction at a time, on every node, and the history a re-check
    // reads is the history the call follows. One row per task (a statement may not upsert the same
    // row twice), in key order so two nodes' batches do not lock rows in opposite orders.
    const tasks = new Map<string, TasksTable>();
    for (const plan of plans) {
      const task = taskRowOf(plan.call);
      if (!task) continue;
      const key = `${task.tenant_id}|${task.id}`;
      const earlier = tasks.get(key);
      // The same row once, counting every decision of the batch in it.
      tasks.set(key, earlier ? { ...task, history_seq: earlier.history_seq + 1 } : task);
    }
    const sortedTasks = [...tasks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, task]) => task);
    const counted = await upsertTasks(trx, dialect, sortedTasks);
    // Each task's count before this batch: what a verdict that read an unchanged history read.
    const before = new Map<string, number>();
    for (const row of counted) {
      const key = `${row.tenant_id}|${row.id}`;
      before.set(key, Number(row.history_seq) - (tasks.get(key)?.history_seq ?? 0));
    }
    const checked = await this.checkHistories(trx, plans, before);
    const redemptions = await this.checkRedemptions(trx, plans);
    const claimed = checked.map(({ decision }, i) => {
      const redemption = redemptions[i];
      return redemption && !redemption.ok && decision.effect !== 'deny'
        ? redemptionDeny(decision, redemption.code, redemption.reason)
        : decision;
    });
    // Budgets next: a call a hard budget has no room for becomes a deny before anything is written.
    const requests = plans.map((plan, i) =>
      plan.budget && claimed[i]?.effect !== 'deny' ? plan.budget.request : null,
    );
    const charges = requests.some((r) => r !== null)
      ? await applyCharges(trx, this.storage.dialect, requests, now)
      : plans.map(() => null);

    const recorded: RecordedPlan[] = [];
    const writes: DecisionWrite[] = [];
    const uses: (AuditEventInput | undefined)[] = [];
    for (const [i, plan] of plans.entries()) {
      const charge = charges[i] ?? null;
      const refused = charge !== null && !charge.admitted;
      const decision = refused ? budgetDeny(claimed[i] as Decided, charge) : (claimed[i] as Decided);
      let approvalRef: ApprovalRef | null = null;
      const redemption = redemptions[i];
      if (redemption?.ok && plan.redemption && decision.effect !== 'deny') {
        const used = await consumeApproval(trx, redemption.request, plan.redemption);
        approvalRef = refOf(used.request);
        uses[i] = used.event;
      }
      // A refused call opens no approval request.
      const opened = decision.effect === 'deny' ? undefined : plan.opened;
      if (opened) approvalRef = refOf(opened.request);
      const task = checked[i]?.task;
      writes.push(
        decisionWrite(plan.call, decision, {
          approvalRef,
          ...(opened ? { opened } : {}),
          ...(refused ? { budgetRefusal: refusalPayload(charge) } : {}),
          ...(task ? { task } : {}),
        }),
      );
      recorded.push({ decision, approvalRef, opened, charge });
    }

    await insertDecisions(
      trx,
      dialect,
      writes.map((w) => w.decision),
    );
    for (const w of writes) if (w.approval) await insertApproval(trx, w.approval.request);
    const reservations = plans.flatMap((plan, i) =>
      recorded[i]?.charge?.admitted && recorded[i].decision.effect !== 'deny' && plan.budget?.reservation
        ? [plan.budget.reservation]
        : [],
    );
    await insertReservations(trx, dialect, reservations);
    await this.usage.add(
      trx,
      writes.map((w) => w.usage),
    );
    // After the budget and usage counters, the order an outcome's transaction takes them in.
    await addToTaskHistory(trx, dialect, taskIncrements(plans, recorded), now);
    const byTenant = new Map<string, AuditEventInput[]>();
    for (const [i, w] of writes.entries()) {
      const tenantId = w.decision.tenant_id;
      const events = byTenant.get(tenantId) ?? [];
      const use = uses[i];
      if (use) events.push(use);
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

  /**
   * The batch's decisions once every verdict that read its task's history has been re-checked
   * against the history it follows: what was committed before this transaction (the task's row is
   * locked, so no other decision is being added), plus the calls of the same task earlier in the
   * batch. What was committed is what a verdict read when the task's decision count it read is the
   * count before this batch; only otherwise is the history read again, here.
   */
  private async checkHistories(
    trx: Trx,
    plans: readonly DecisionPlan[],
    before: ReadonlyMap<string, number>,
  ): Promise<{ decision: Decided; task?: TaskFacts }[]> {
    const keyOf = (call: Call) => `${call.tenantId}|${call.taskId}`;
    const facts = new Map<string, TaskFacts>();
    const stale = new Map<string, { tenantId: string; taskId: string }>();
    for (const plan of plans) {
      const { call, history } = plan;
      if (!history || !call.taskId) continue;
      const key = keyOf(call);
      if (facts.has(key)) continue;
      if (history.seq === before.get(key)) {
        facts.set(key, history.task);
        stale.delete(key);
      } else stale.set(key, { tenantId: call.tenantId, taskId: call.taskId });
    }
    for (const [key, { tenantId, taskId }] of stale) {
      facts.set(key, await readTaskFacts(trx, this.storage.dialect, tenantId, taskId));
    }
    if (facts.size === 0) return plans.map((plan) => ({ decision: plan.decision }));
    return plans.map((plan) => {
      const key = keyOf(plan.call);
      const current = facts.get(key);
      if (!current) return { decision: plan.decision };
      const decision = plan.history ? recheckedDecision(plan.decision, plan.history, current) : plan.decision;
      // The batch's next call of this task follows this one. (A budget or an approval that cannot be
      // used may still deny it below; the next call sees that deny from the next transaction on.)
      const labels = decision.effect === 'allow' ? (decision.labels ?? []) : [];
      facts.set(key, withCall(current, plan.call.tool, decision.effect === 'deny', labels));
      // The history the verdict stands on, kept with the decision (it explains it, and replays it).
      return plan.history ? { decision, task: current } : { decision };
    });
  }

  /**
   * Checks every approval a call of the batch uses, its row locked, in approval order (so two nodes'
   * batches do not lock the same rows in opposite orders). Of the batch's calls using one approval the
   * first claims it and the others are told it is used. (Should a budget then refuse the claiming call,
   * the approval stays unused, for a later call.)
   */
  private async checkRedemptions(
    trx: Trx,
    plans: readonly DecisionPlan[],
  ): Promise<(Redemption | undefined)[]> {
    const results: (Redemption | undefined)[] = plans.map(() => undefined);
    const claims = plans.flatMap((plan, i) => (plan.redemption ? [{ i, claim: plan.redemption }] : []));
    if (claims.length === 0) return results;
    const keyOf = (claim: RedemptionClaim) => `${claim.tenantId}|${claim.approvalId}`;
    claims.sort((a, b) => {
      const [x, y] = [keyOf(a.claim), keyOf(b.claim)];
      return x < y ? -1 : x > y ? 1 : a.i - b.i;
    });
    const claimedBy = new Map<string, string>();
    for (const { i, claim } of claims) {
      const redemption = await checkRedemption(trx, this.storage.dialect, claim, claimedBy.get(keyOf(claim)));
      if (redemption.ok) claimedBy.set(keyOf(claim), claim.decisionId);
      results[i] = redemption;
    }
    return results;
  }
}
