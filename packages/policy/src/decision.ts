import type { ApprovalRequirement, Effect } from './model.js';

/**
 * Why a decision came out as it did:
 * - `rule`: a matched rule decided (its id is `decidingRule`, its reason is `reason`);
 * - `no_grant`: no rule allowed the call (zero access by default);
 * - `condition_error`: a rule's condition could not be evaluated, which counts as a deny;
 * - `invalid_input`: the input itself was unusable (e.g. arguments that are not JSON).
 */
export type DecisionCode = 'rule' | 'no_grant' | 'condition_error' | 'invalid_input';

export interface ConditionFailure {
  readonly rule: string;
  readonly message: string;
}

/** The verdict for one agent of a delegation chain. */
export interface AgentVerdict {
  readonly agentId: string;
  readonly effect: Effect;
  readonly code: DecisionCode;
  readonly decidingRule: string | null;
  readonly rules: readonly string[];
}

export interface Decision {
  readonly effect: Effect;
  readonly code: DecisionCode;
  /** The deciding rule's reason, or an explanation of the code; says what to do next. */
  readonly reason: string;
  readonly decidingRule: string | null;
  /** The agent whose verdict decided; differs from the calling agent when a delegator was stricter. */
  readonly decidingAgent: string;
  /** Every matched rule id (conditions true or erroring), across the delegation chain, in bundle order. */
  readonly rules: readonly string[];
  readonly conditionErrors: readonly ConditionFailure[];
  /** For review: the strictest merge of every matched review rule's requirement. Null otherwise. */
  readonly approval: ApprovalRequirement | null;
  /** One verdict per agent of the delegation chain (delegators first, then the caller); empty when not delegated. */
  readonly delegation: readonly AgentVerdict[];
  readonly policyVersion: string;
  readonly evaluationMicros: number;
}
