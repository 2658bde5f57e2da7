import type { JsonObject } from '@warden/policy';
import type { ChargeResult } from '../budgets/budget-ledger.js';
import { refusalReason } from '../budgets/decision-budgets.js';
import type { RecordedDecision } from './decision.js';

type Undecorated = Omit<
  RecordedDecision,
  'decisionId' | 'agentId' | 'taskId' | 'decidedAt' | 'approvalRequest'
>;

/** The deny a hard budget turns a call into when it has no room for it. */
export function budgetDeny<D extends Undecorated>(decision: D, charge: ChargeResult): D {
  const refusal = charge.refusal;
  return {
    ...decision,
    effect: 'deny',
    code: 'budget_exceeded',
    reason: refusal
      ? refusalReason(refusal.budget, refusal.used, refusal.asked, refusal.windowEnd)
      : 'a budget has no room for this call',
    approval: null,
    sample: null,
  };
}

/** What the audit event of a budget deny records of the refusal. */
export function refusalPayload(charge: ChargeResult): JsonObject {
  const refusal = charge.refusal;
  if (!refusal) return {};
  return {
    budgetId: refusal.budget.id,
    name: refusal.budget.name,
    counter: refusal.subject,
    unit: refusal.budget.unit,
    limit: refusal.budget.limit,
    used: refusal.used,
    asked: refusal.asked,
  };
}
