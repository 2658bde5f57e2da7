import type { TrustTier } from './model.js';
import type { Signals } from './signals/signals.js';
import type { TaskFacts } from './task/task-facts.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A temporary grant from an approved access request: it allows the listed tools (names or globs,
 * with the same glob semantics as rules) as if by an allow rule placed after every rule of the bundle.
 */
export interface TemporaryGrant {
  readonly id: string;
  readonly tools: readonly string[];
}

/** The agent as the caller (the server, or a test case) knows it. */
export interface AgentFacts {
  readonly id: string;
  readonly name?: string;
  readonly roles?: readonly string[];
  readonly tier?: TrustTier;
  /** The environment this call acts in: sandbox, staging, production, ... */
  readonly environment?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly owner?: string;
  /** Risk classification of the data it touches: public, internal, pii, financial, phi. */
  readonly risk?: string;
  /**
   * The agent's unexpired temporary grants. Never visible to conditions: a rule cannot make its
   * answer depend on which access requests were approved.
   */
  readonly grants?: readonly TemporaryGrant[];
}

export interface ContextFacts {
  readonly taskId?: string;
  readonly initiator?: string;
  readonly onBehalfOf?: string;
  readonly interface?: string;
}

export interface UsageFacts {
  readonly cost_today_usd: number;
  readonly cost_month_usd: number;
  readonly calls_last_hour: number;
  readonly calls_today: number;
  readonly records_today: number;
}

export interface TimeFacts {
  /** The moment of the call. `decide` never reads a clock: time only comes from here. */
  readonly now: Date;
  /** Hour of day (0-23) and weekday (0 = Sunday) in the tenant's time zone; UTC when omitted. */
  readonly hour?: number;
  readonly weekday?: number;
}

export interface DecisionInput {
  readonly agent: AgentFacts;
  readonly tool: string;
  /** The MCP server (or other provider) of the tool, when known. */
  readonly toolServer?: string;
  /** The call's JSON arguments. */
  readonly args?: JsonObject;
  readonly context?: ContextFacts;
  /** Usage counters; conditions that read `usage` fail closed (deny) when they are not given. */
  readonly usage?: UsageFacts;
  /** Conditions that read `time` fail closed (deny) when it is not given. */
  readonly time?: TimeFacts;
  /**
   * For a delegated call: the agents on whose behalf this agent acts, outermost orchestrator first.
   * Each is decided on its own and the strictest answer wins.
   */
  readonly delegation?: readonly AgentFacts[];
  /**
   * What the agent reports with the call (`context.signals`), checked against the bundle's declared
   * signals: an undeclared name or a value of the wrong type makes the input unusable (`invalid_input`).
   */
  readonly signals?: Signals;
  /** The task's history; conditions that read `task` fail closed (deny) when it is not given. */
  readonly task?: TaskFacts;
}
