import type { ApprovalRequirement, Effect } from './model.js';

/**
 * Why a decision came out as it did:
 * - `rule`: a matched rule decided (its id is `decidingRule`, its reason is `reason`);
 * - `grant`: no rule allowed the call, but a temporary grant of the agent did (its id is `decidingRule`);
 * - `no_grant`: no rule allowed the call (zero access by default);
 * - `condition_error`: a rule's condition could not be evaluated, which counts as a deny;
 * - `invalid_input`: the input itself was unusable (e.g. arguments that are not JSON).
 */
export type DecisionCode = 'rule' | 'grant' | 'no_grant' | 'condition_error' | 'invalid_input';

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
  /** The deciding rule's id, or the temporary grant's id when `code` is `grant`. */
  readonly decidingRule: string | null;
  /** The agent whose verdict decided; differs from the calling agent when a delegator was stricter. */
  readonly decidingAgent: string;
  /** Every matched rule id (conditions true or erroring), across the delegation chain, in bundle order. */
  readonly rules: readonly string[];
  readonly conditionErrors: readonly ConditionFailure[];
  /** For review: the strictest merge of every matched review rule's requirement. Null otherwise. */
  readonly approval: ApprovalRequirement | null;
  /**
   * For an allow decided by an allow rule that samples (mode `sample`): that rule's requirement,
   * whose `sampleRate` is the share of such calls to review after the fact. Null otherwise.
   */
  readonly sample: ApprovalRequirement | null;
  /**
   * The `metadata.owner` of every policy whose matched rule contributed to `approval` or `sample`,
   * without duplicates, in bundle order; empty otherwise. None of them may approve the request
   * (separation of duties).
   */
  readonly approvalOwners: readonly string[];
  /** One verdict per agent of the delegation chain (delegators first, then the caller); empty when not delegated. */
  readonly delegation: readonly AgentVerdict[];
  /**
   * The labels (`label:`) of the rules whose condition held, across the delegation chain, once each.
   * The caller marks the task with them when the call is allowed (`task.labels`). Absent means none.
   */
  readonly labels?: readonly string[];
  readonly policyVersion: string;
  readonly evaluationMicros: number;
}
