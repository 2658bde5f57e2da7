import type { DecisionInput, Effect, JsonObject } from '@warden/policy';

/**
 * What a decision row keeps of the policy engine's input besides the tool and the arguments (those
 * have their own columns, the arguments as stored: redacted and sealed), and what the engine
 * answered. Enough to ask another bundle the same question later (`warden policy impact`). Time is
 * kept as the facts the engine saw, not recomputed: a time zone rule may change in between.
 */
export interface StoredPolicyInput {
  readonly input: Omit<DecisionInput, 'tool' | 'args' | 'time'> & {
    readonly time?: { readonly now: number; readonly hour?: number; readonly weekday?: number };
  };
  /** The policy's own verdict, before approvals and budgets could change the call's effect. */
  readonly verdict: { readonly effect: Effect; readonly code: string; readonly rule: string | null };
}

export interface PolicyVerdict {
  readonly effect: Effect;
  readonly code: string;
  readonly decidingRule: string | null;
}

/** The `policy_input` column of a decision the policy engine decided. */
export function storePolicyInput(input: DecisionInput, verdict: PolicyVerdict): string {
  const { tool: _tool, args: _args, time, ...rest } = input;
  const stored: StoredPolicyInput = {
    input: {
      ...rest,
      ...(time
        ? {
            time: {
              now: time.now.getTime(),
              ...(time.hour !== undefined ? { hour: time.hour } : {}),
              ...(time.weekday !== undefined ? { weekday: time.weekday } : {}),
            },
          }
        : {}),
    },
    verdict: { effect: verdict.effect, code: verdict.code, rule: verdict.decidingRule },
  };
  return JSON.stringify(stored);
}

/** The engine's input again, from a row's stored input, tool and (stored) arguments. */
export function replayInput(stored: StoredPolicyInput, tool: string, args: JsonObject): DecisionInput {
  const { time, ...rest } = stored.input;
  return {
    ...rest,
    tool,
    args,
    ...(time
      ? {
          time: {
            now: new Date(time.now),
            ...(time.hour !== undefined ? { hour: time.hour } : {}),
            ...(time.weekday !== undefined ? { weekday: time.weekday } : {}),
          },
        }
      : {}),
  };
}
