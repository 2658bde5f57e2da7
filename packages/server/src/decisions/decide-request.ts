import type { Environment } from '../agents/agent.js';
import type { Amounts } from '../budgets/estimate.js';
import type { DelegationLink } from '../delegation/prove-delegation.js';

/** Which interface a call came through: the REST API, the MCP gateway or the LLM proxy. */
export type DecideSource = 'http' | 'mcp' | 'llm';

export interface DecideContext {
  readonly taskId?: string;
  readonly parentTaskId?: string;
  readonly initiator?: string;
  readonly onBehalfOf?: string;
  readonly interface?: string;
  readonly environment?: Environment;
  readonly reasoning?: string;
  readonly model?: string;
  readonly modelVersion?: string;
  readonly promptVersion?: string;
  readonly toolVersion?: string;
  /** What the agent recommends doing; shown to the approver of a review. */
  readonly recommendation?: string;
  /**
   * What the agent reports about this call (its confidence, a risk score): checked against the
   * signals the tenant's policy declares, read by conditions as `signals.*`, kept in the audit.
   */
  readonly signals?: Readonly<Record<string, number | boolean | string>>;
}

export interface DecideRequest {
  readonly tool: string;
  readonly args?: Record<string, unknown>;
  readonly context?: DecideContext;
  /** An approved request for exactly this call (same tool and arguments), used once. */
  readonly approvalId?: string;
  /** What the call expects to cost, reserved against its budgets until the outcome settles it. */
  readonly estimate?: Amounts;
  /**
   * A refusal the caller found before deciding (the LLM proxy: a model without a price). Recorded as
   * the decision unless a gate (kill switch, status, breaker) denies first; the policy is not asked.
   */
  readonly refusal?: { readonly code: 'unpriced_model'; readonly reason: string };
  /**
   * Something in the call that a broad grant of the tool must not cover (the LLM proxy: a
   * provider-hosted MCP tool, whose calls Warden never sees). The call is allowed or reviewed only
   * when a matched `allow` or `review` rule of a Policy reads `args.<arg>` in its `when`: an
   * unconditional `llm.*` allow does not. Otherwise it is denied with `code`, recorded like any
   * deny; gates and the policy's own denies come first.
   */
  readonly explicit?: {
    readonly arg: string;
    readonly code: 'hosted_tool_refused';
    readonly reason: string;
  };
  /** The agents this agent acts for, outermost orchestrator first, each with the proof of its link. */
  readonly delegation?: readonly DelegationLink[];
}
