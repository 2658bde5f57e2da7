import type { Decision } from '@warden/policy';
import type { ApprovalMode, ApprovalRequest, ApprovalStatus } from '../approvals/approval.js';
import type { RedemptionCode } from '../approvals/redemption.js';
import type { BudgetView } from '../budgets/decision-budgets.js';

/**
 * Why the server denied before or instead of the policy engine:
 * - `agent_suspended` / `agent_pending` / `agent_retired`: the agent may not act now;
 * - `no_policy`: the tenant has no active policy bundle (zero access by default);
 * - `tenant_frozen`: the tenant-wide kill switch is on;
 * - `circuit_open`: the agent's circuit breaker tripped and no human has reset it yet;
 * - `budget_exceeded` / `rate_limited`: a hard budget or a rate limit has no room for this call;
 * - `limits_unavailable`: the rate-limit store cannot be reached and the fail mode is closed;
 * - `unpriced_model`: the LLM proxy knows no price for the model, so its budgets could not hold;
 * - `hosted_tool_refused`: the LLM proxy call asks the provider to run a tool Warden cannot see
 *   (a hosted MCP server) and no rule that allowed the call reads `args.hosted_tools`;
 * - `task_history_changed`: the task's history changed while the call was decided (a concurrent
 *   call or outcome of the task) and the policy now asks a human to review it: call again.
 * - `no_eligible_approver`: the review needs the initiator and nobody can answer for them (not a
 *   Warden user, and the tenant has no step-up hook), so it is refused at once.
 */
export type ServerDecisionCode =
  | Decision['code']
  | 'agent_suspended'
  | 'agent_pending'
  | 'agent_retired'
  | 'no_policy'
  | 'tenant_frozen'
  | 'circuit_open'
  | 'budget_exceeded'
  | 'rate_limited'
  | 'limits_unavailable'
  | 'unpriced_model'
  | 'hosted_tool_refused'
  | 'task_history_changed'
  | 'no_eligible_approver'
  | 'approved'
  | RedemptionCode;

/** The approval request a decision opened (review, sampled allow) or used (`approved`). */
export interface ApprovalRef {
  readonly id: string;
  readonly mode: ApprovalMode;
  readonly status: ApprovalStatus;
  readonly deadline: number;
  readonly grantExpiresAt: number | null;
}

export interface RecordedDecision extends Omit<Decision, 'code'> {
  readonly decisionId: string;
  readonly code: ServerDecisionCode;
  readonly agentId: string;
  readonly taskId: string | null;
  readonly decidedAt: number;
  readonly approvalRequest: ApprovalRef | null;
  /** The budgets that govern the call: what is left, and warnings past a threshold. */
  readonly budget?: BudgetView;
  /** For `rate_limited`: when to try again. */
  readonly retryAfterSeconds?: number;
}

/** A decision before it is recorded: what the steps of the decide path pass along and replace. */
export type Decided = Omit<
  RecordedDecision,
  'decisionId' | 'agentId' | 'taskId' | 'decidedAt' | 'approvalRequest' | 'budget' | 'retryAfterSeconds'
>;

export function refOf(request: ApprovalRequest): ApprovalRef {
  return {
    id: request.id,
    mode: request.mode,
    status: request.status,
    deadline: request.deadlineAt,
    grantExpiresAt: request.grantExpiresAt,
  };
}

/** A deny that no rule produced, shaped like the engine's decisions so callers handle one shape. */
export function serverDeny(
  code: Exclude<ServerDecisionCode, Decision['code']>,
  reason: string,
  agentId: string,
  policyVersion: string,
): Decided {
  return {
    effect: 'deny',
    code,
    reason,
    decidingRule: null,
    decidingAgent: agentId,
    rules: [],
    conditionErrors: [],
    approval: null,
    sample: null,
    approvalOwners: [],
    delegation: [],
    policyVersion,
    evaluationMicros: 0,
  };
}
