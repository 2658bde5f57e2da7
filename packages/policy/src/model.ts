import type { SignalDeclaration } from './signals/signals.js';

/** The policy documents as Warden understands them once loaded and validated. */

export type Effect = 'allow' | 'review' | 'deny';
export type PolicyKind = 'Policy' | 'Guardrail';
export type TrustTier = 'sandbox' | 'monitored' | 'trusted';

export const EFFECTS: readonly Effect[] = ['allow', 'review', 'deny'];
export const TRUST_TIERS: readonly TrustTier[] = ['sandbox', 'monitored', 'trusted'];

/**
 * Who may decide a review: a group, a named human, or the human the task runs on behalf of. An
 * `initiator` with `reauth` must approve with a fresh proof of identity (step-up re-authentication);
 * the key is present only when true, so a plain `initiator` reads exactly as it always has.
 */
export type Approver =
  | { readonly kind: 'group'; readonly name: string }
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'initiator'; readonly reauth?: true };

export interface ApprovalStep {
  readonly name: string;
  readonly approvers: readonly Approver[];
  /** How many distinct humans of `approvers` must approve this step. */
  readonly required: number;
}

export interface ApprovalRequirement {
  /** Ordered: step n+1 starts once step n is satisfied. */
  readonly steps: readonly ApprovalStep[];
  readonly timeoutSeconds: number;
  readonly onTimeout: 'deny' | 'escalate';
  /** Set when onTimeout is `escalate`. */
  readonly escalateTo: readonly Approver[];
  /**
   * `pre`: decide before execution; `post`: execute, review afterwards; `sample` (allow rules only):
   * execute, and send a share (`sampleRate`) of the allowed calls to an after-the-fact review.
   */
  readonly mode: 'pre' | 'post' | 'sample';
  /** The share of allowed calls to review, 0 < rate <= 1. Present exactly when mode is `sample`. */
  readonly sampleRate?: number;
}

/** Every listed criterion must hold; within one list any entry may match. Empty = every agent. */
export interface AgentSelector {
  readonly ids: readonly string[];
  readonly roles: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly tiers: readonly TrustTier[];
  readonly environments: readonly string[];
}

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

export interface Rule {
  readonly id: string;
  readonly effect: Effect;
  readonly tools: readonly string[];
  /** CEL source, absent when the rule is unconditional. */
  readonly when?: string;
  readonly reason: string;
  /**
   * Always present when effect is `review`; on an `allow` rule, present only as a sampling
   * requirement (mode `sample`); never on a `deny` rule.
   */
  readonly approval?: ApprovalRequirement;
  /**
   * Data classes (`pii`, `payments`, ...) a call this rule matched marks its task with, once the
   * call is allowed; later conditions read them as `task.labels`. Absent when the rule sets none.
   */
  readonly labels?: readonly string[];
  /** Where the rule starts, and the line of its `when` (for condition errors). */
  readonly source: SourceLocation & { readonly whenLine: number };
}

export interface PolicyMetadata {
  readonly name: string;
  readonly description: string;
  /** The human who wrote the policy; approvals under its rules exclude them (separation of duties). */
  readonly owner: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface PolicyDocument {
  readonly kind: PolicyKind;
  readonly metadata: PolicyMetadata;
  readonly agents: AgentSelector;
  readonly rules: readonly Rule[];
  readonly source: SourceLocation;
}

/** A `Signals` document: the agent signals conditions may read, with their types and defaults. */
export interface SignalsDocument {
  readonly name: string;
  readonly signals: readonly SignalDeclaration[];
  readonly source: SourceLocation;
}

/** The tools an organisation's agents may call; lint uses it to find globs that match nothing. */
export interface ToolCatalogEntry {
  readonly name: string;
  readonly server: string;
  readonly description: string;
}

export interface ToolCatalog {
  readonly name: string;
  readonly tools: readonly ToolCatalogEntry[];
  readonly source: SourceLocation;
}
