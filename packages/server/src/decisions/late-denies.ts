import type { JsonObject } from '@warden/policy';
import type { RedemptionCode } from '../approvals/redemption.js';
import type { ChargeResult } from '../budgets/budget-ledger.js';
import { refusalReason } from '../budgets/decision-budgets.js';
import type { Decided } from './decision.js';

/**
 * Decisions that change after the policy answered: a call that uses an approval, and the denies the
 * decision's own transaction can still turn it into (an approval that cannot be used, a budget with no
 * room). Plain functions of values, so the recorder applies each exactly once.
 */

/** A call made with an approval: allowed, provided the approval can be used (checked when recorded). */
export function approvedDecision(decision: Decided, approvalId: string): Decided {
  return {
    ...decision,
    effect: 'allow',
    code: 'approved',
    reason: `A human approved this exact call in ${approvalId}; the approval is now used up.`,
    approval: null,
    sample: null,
  };
}

/** The deny of a call whose approval cannot be used (pending, denied, expired, used, another call's). */
export function redemptionDeny(decision: Decided, code: RedemptionCode, reason: string): Decided {
  return { ...decision, effect: 'deny', code, reason, approval: null, sample: null };
}

/** A review nobody could ever decide (the initiator has no one to answer for them): refused now, not at the deadline. */
export function noApproverDeny(decision: Decided, why: string): Decided {
  return {
    ...decision,
    effect: 'deny',
    code: 'no_eligible_approver',
    reason: `This call needs a review nobody can decide: ${why}.`,
    approval: null,
    sample: null,
  };
}

/** The deny a hard budget turns a call into when it has no room for it. */
export function budgetDeny(decision: Decided, charge: ChargeResult): Decided {
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
