import type { Decision } from '@warden/policy';

/**
 * Why the server denied before or instead of the policy engine:
 * - `agent_suspended` / `agent_pending` / `agent_retired`: the agent may not act now;
 * - `no_policy`: the tenant has no active policy bundle (zero access by default).
 */
export type ServerDecisionCode =
  | Decision['code']
  | 'agent_suspended'
  | 'agent_pending'
  | 'agent_retired'
  | 'no_policy';

export interface RecordedDecision extends Omit<Decision, 'code'> {
  readonly decisionId: string;
  readonly code: ServerDecisionCode;
  readonly agentId: string;
  readonly taskId: string | null;
  readonly decidedAt: number;
}

/** A deny that no rule produced, shaped like the engine's decisions so callers handle one shape. */
export function serverDeny(
  code: Exclude<ServerDecisionCode, Decision['code']>,
  reason: string,
  agentId: string,
  policyVersion: string,
): Omit<Decision, 'code'> & { code: ServerDecisionCode } {
  return {
    effect: 'deny',
    code,
    reason,
    decidingRule: null,
    decidingAgent: agentId,
    rules: [],
    conditionErrors: [],
    approval: null,
    delegation: [],
    policyVersion,
    evaluationMicros: 0,
  };
}
