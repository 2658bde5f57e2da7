import type { AgentFacts, ContextFacts, JsonObject, TimeFacts, UsageFacts } from '../input.js';

/**
 * The seam between Warden and a condition language. Warden ships a CEL engine; another CEL
 * implementation (or a WebAssembly build of cel-go) can replace it by implementing this interface.
 */
export interface ConditionEngine {
  readonly language: string;
  /** Parses and type-checks a condition against the variables below. Never throws. */
  compile(source: string): CompileResult;
  /** Converts one decision's variables into the engine's representation, once per decided agent. */
  bind(variables: ConditionVariables): Activation;
}

export type CompileResult =
  | { readonly ok: true; readonly condition: CompiledCondition }
  | { readonly ok: false; readonly message: string };

export interface CompiledCondition {
  readonly source: string;
  /** True or false; throws ConditionError when the condition cannot be evaluated for this input. */
  evaluate(activation: Activation): boolean;
  /** The value of a condition that reads no variable (`false`, `1 > 2`); undefined otherwise. */
  readonly constant: boolean | undefined;
}

/** Opaque per-engine binding of the variables. */
export interface Activation {
  readonly __activation: unique symbol;
}

export class ConditionError extends Error {
  override readonly name = 'ConditionError';
}

/** What a condition can read: the documented variables of the policy language. */
export interface ConditionVariables {
  /** Without `grants`: which access requests were approved must not change what a rule says. */
  readonly agent: Omit<AgentFacts, 'grants'>;
  readonly tool: { readonly name: string; readonly server: string };
  readonly args: JsonObject;
  readonly context: ContextFacts;
  readonly usage: UsageFacts | undefined;
  readonly time: TimeFacts | undefined;
  readonly delegation: { readonly depth: number; readonly chain: readonly string[] };
}
