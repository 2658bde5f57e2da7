import type { AgentFacts } from '../input.js';

/**
 * What is known of an agent before any call: its facts as `decide` takes them (id, roles, tier,
 * labels, owner, risk, and its unexpired temporary grants in `grants`) and where its calls may act.
 */
export interface VisibilitySubject {
  /**
   * The agent's facts. `agent.environment`, when given, is an environment its calls may act in,
   * like an entry of `environments`.
   */
  readonly agent: AgentFacts;
  /**
   * Every environment the agent's calls may name (the server's registered `environments`). When
   * neither this nor `agent.environment` is given, a call may name any environment, or none.
   * An empty list with no `agent.environment` means the agent acts nowhere: nothing is visible.
   */
  readonly environments?: readonly string[];
}

/** Why a tool is hidden from an agent. */
export type HiddenReason = 'no_grant' | 'always_denied' | 'invalid_input';

/**
 * Whether an agent could ever be allowed (or reviewed) for a tool, and why. A hidden tool is denied
 * by `decide` for every call the subject could make; a visible one may still be denied for some.
 */
export type ToolVisibility =
  | {
      readonly visible: true;
      /** The Policy `allow`/`review` rules that could grant a call, in bundle order. */
      readonly grantingRules: readonly string[];
      /** The ids of the agent's temporary grants that cover the tool. */
      readonly grantingGrants: readonly string[];
    }
  /**
   * An unconditional deny rule applies to the agent in every environment it may act in, so every
   * call is denied whatever grants the tool.
   */
  | {
      readonly visible: false;
      readonly reason: 'always_denied';
      /** Those deny rules, in bundle order. */
      readonly denyingRules: readonly string[];
    }
  /**
   * Where the agent may act, nothing grants the tool (no Policy `allow`/`review` rule selecting it,
   * no temporary grant), or only where an unconditional deny applies as well.
   */
  | { readonly visible: false; readonly reason: 'no_grant' }
  /** `decide` would reject every call as `invalid_input`: a malformed tool name or agent. */
  | { readonly visible: false; readonly reason: 'invalid_input'; readonly message: string };

/** Visibility for one agent under one bundle version, answering many tools. */
export interface VisibilityIndex {
  readonly bundleVersion: string;
  visibility(tool: string): ToolVisibility;
  /** The visible tools among `tools`, in their order. */
  visibleTools(tools: readonly string[]): string[];
}
