import {
  type DecisionInput,
  decide,
  type Effect,
  type PolicyBundle,
  sameTaskFacts,
  type TaskFacts,
} from '@warden/policy';
import type { Decided } from './decision.js';

/**
 * A verdict that read the task's history, and what it read. The policy step reads the history as
 * committed when the call arrives; by the time the call is recorded, other calls or outcomes of the
 * task may have been recorded too. The record step holds the task's row, reads the history at the
 * call's place in the commit order and, when it differs, decides again (`recheckedDecision`), as it
 * charges budgets: the verdict stands on the history the call really follows.
 */
export interface HistoryCheck {
  readonly bundle: PolicyBundle;
  /** The policy input the verdict was decided on. */
  readonly input: DecisionInput;
  /** The history it read. */
  readonly task: TaskFacts;
  /** How many decisions the task counted when it was read (`tasks.history_seq`). */
  readonly seq: number;
  /** The policy's verdict (before an approval the call uses made it `approved`). */
  readonly effect: Effect;
}

const RANK: Readonly<Record<Effect, number>> = { allow: 0, review: 1, deny: 2 };

/**
 * The decision a call stands by, given the history `current` it follows. Pure.
 * - the same history, or the same verdict on it: the decision as it was;
 * - a deny now: the policy's deny (the call is not made);
 * - a review now where it was allowed: a `task_history_changed` deny, as the review's request was
 *   never prepared: the agent calls again and gets the review;
 * - a more permissive verdict now: the stricter decision stands (never more than the history allows).
 */
export function recheckedDecision(decided: Decided, check: HistoryCheck, current: TaskFacts): Decided {
  if (decided.effect === 'deny' || sameTaskFacts(current, check.task)) return decided;
  const fresh = decide(check.bundle, { ...check.input, task: current });
  if (fresh.effect === check.effect || RANK[fresh.effect] < RANK[check.effect]) return decided;
  if (fresh.effect === 'deny') return fresh;
  return {
    ...decided,
    effect: 'deny',
    code: 'task_history_changed',
    reason: `The task's history changed while this call was decided, and rule '${fresh.decidingRule}' now asks a human to review it; call again to open the review.`,
    decidingRule: fresh.decidingRule,
    rules: fresh.rules,
    approval: null,
    sample: null,
  };
}
