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
import { type Call, type DecisionWrite, decisionWrite } from './decision-write.js';
import { budgetDeny, redemptionDeny, refusalPayload } from './late-denies.js';

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
const upsertTasks = compiledInsert<TasksTable>(
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
  ]),
  (db, rows) =>
    db
      .insertInto('tasks')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'id'])
          .doUpdateSet((eb) => ({ last_action_at: eb.ref('excluded.last_action_at') })),
      ),
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
    const redemptions = await this.checkRedemptions(trx, plans);
    const claimed = plans.map((plan, i) => {
      const redemption = redemptions[i];
      return redemption && !redemption.ok
        ? redemptionDeny(plan.decision, redemption.code, redemption.reason)
        : plan.decision;
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
      writes.push(
        decisionWrite(plan.call, decision, {
          approvalRef,
          ...(opened ? { opened } : {}),
          ...(refused ? { budgetRefusal: refusalPayload(charge) } : {}),
        }),
      );
      recorded.push({ decision, approvalRef, opened, charge });
    }

    const { dialect } = this.storage;
    await insertDecisions(
      trx,
      dialect,
      writes.map((w) => w.decision),
    );
    // One row per task: a statement may not upsert the same row twice. Key order keeps two nodes'
    // batches from locking the same rows in opposite orders.
    const tasks = new Map<string, TasksTable>();
    for (const w of writes) if (w.task) tasks.set(`${w.task.tenant_id}|${w.task.id}`, w.task);
    const sortedTasks = [...tasks.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, task]) => task);
    await upsertTasks(trx, dialect, sortedTasks);
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
