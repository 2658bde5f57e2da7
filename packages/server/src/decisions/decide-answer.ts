import { type BudgetAdmission, budgetView } from '../budgets/decision-budgets.js';
import type { RecordedDecision } from './decision.js';
import type { RecordedPlan } from './decision-recorder.js';
import type { Call } from './decision-write.js';

/** The answer to the agent, from what was written (the deny a budget or a used approval made, too). */
export function answerOf(
  call: Call,
  recorded: RecordedPlan,
  admission: BudgetAdmission | undefined,
  retryAfterSeconds: number | undefined,
): RecordedDecision {
  const { decision, charge } = recorded;
  return {
    ...decision,
    decisionId: call.decisionId,
    agentId: call.agentId,
    taskId: call.taskId,
    decidedAt: call.now,
    approvalRequest: recorded.approvalRef,
    ...(admission && charge ? { budget: budgetView(charge, admission, decision.effect) } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}
