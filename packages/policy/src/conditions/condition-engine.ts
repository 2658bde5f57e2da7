import type { AgentFacts, ContextFacts, JsonObject, TimeFacts, UsageFacts } from '../input.js';
import type { SignalDeclaration, Signals } from '../signals/signals.js';
import type { TaskFacts } from '../task/task-facts.js';

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
  /**
   * The engine for a bundle that declares these agent signals: conditions type-check `signals.<name>`
   * against the declared types. Without it (or without declarations), no condition may read `signals`.
   */
  withSignals?(declarations: readonly SignalDeclaration[]): ConditionEngine;
}

/** What a condition reads beyond the fixed variables, found when it is compiled. */
export interface ConditionReads {
  /** Whether it reads `task` (the decide path then loads the task's history). */
  readonly task: boolean;
  /** The labels it looks for with `"<label>" in task.labels`; each must be set by some rule. */
  readonly labels: readonly string[];
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
  /** What the condition reads; an engine that cannot tell leaves it out, and is taken to read everything. */
  readonly reads?: ConditionReads;
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
  /** The call's signals with the declared defaults filled in. */
  readonly signals?: Signals;
  readonly task?: TaskFacts | undefined;
}
