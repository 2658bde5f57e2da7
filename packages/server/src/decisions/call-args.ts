import { createHash } from 'node:crypto';
import { canonicalJson, type JsonObject, validateArguments } from '@warden/policy';

/**
 * A call's arguments, checked before anything walks them: JSON nested at most 32 levels, at most
 * 100,000 values (the policy engine's limits, which it denies as `invalid_input`). Unusable arguments
 * are never stored, hashed or redacted: a stand-in saying why takes their place.
 */
export type CallArgs =
  | { readonly usable: true; readonly value: JsonObject }
  | { readonly usable: false; readonly problem: string; readonly standIn: JsonObject };

const NO_ARGS: JsonObject = Object.freeze({}) as JsonObject;

export function callArgs(args: unknown): CallArgs {
  if (args === undefined) return { usable: true, value: NO_ARGS };
  // Bounded by the depth limit, so hostile nesting stops early instead of overflowing the stack.
  const problem = validateArguments(args);
  if (problem === undefined) return { usable: true, value: args as JsonObject };
  return { usable: false, problem, standIn: { $rejected: { reason: problem } } };
}

/** SHA-256 of the canonical JSON of a usable value (arguments, or tool and arguments). */
export function digest(value: JsonObject): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
