/**
 * OpenAI Agents JS (`@openai/agents@0.14`) adapter: `wardenTool(warden, tool)` governs a function tool.
 *
 * - `needsApproval` asks Warden: a review (pre mode) interrupts the run like any tool approval
 *   (`result.interruptions`); allow and deny do not.
 * - A tool input guardrail settles the call before it runs: a deny (or a rejected review) becomes
 *   the guardrail's `rejectContent`, so the model is told why; an approved review uses its approval.
 * - The tool's `invoke` runs and its outcome (duration, error, cost) is reported.
 * - `wardenApprovals(warden, state)` waits for Warden's humans and approves or rejects the
 *   interruptions it governs, so `run(agent, state)` goes on.
 *
 * A review's Warden request is kept in the run context (`context.wardenApprovals`, by call id), so
 * a `RunState` serialised with `toString()` and restored with `RunState.fromString()` (in another
 * process, later) resumes with it.
 */
import {
  type Agent,
  type FunctionTool,
  type RunContext,
  type RunState,
  ToolGuardrailFunctionOutputFactory,
  type ToolInputGuardrailDefinition,
  type ToolInputParameters,
} from '@openai/agents';
import type { Clearance, Estimate, Warden } from './client.js';
import { WardenDenied, WardenError } from './errors.js';
import type { Decision } from './generated/api.js';
import type { JsonObject } from './validate.js';
import { isPlainObject, toolName } from './validate.js';

export interface WardenToolOptions {
  /** The tool's name in Warden (default: the tool's own name). */
  readonly name?: string;
  readonly argsOf?: (input: unknown) => JsonObject;
  readonly estimate?: Estimate | ((input: unknown) => Estimate | undefined);
  readonly costOf?: (output: unknown) => Estimate | undefined;
}

/** A review's request, in the run context so that a serialised RunState carries it. */
interface LedgerEntry {
  readonly tool: string;
  readonly args: JsonObject;
  readonly estimate?: Estimate;
  readonly approvalId: string;
}

/** The run context key holding the reviews of the run's calls. */
export const LEDGER_KEY = 'wardenApprovals';

type Ledger = Record<string, LedgerEntry>;

function ledgerOf(context: RunContext<unknown>): Ledger | undefined {
  const holder = context.context;
  if (!isPlainObject(holder) || Object.isFrozen(holder)) return undefined;
  if (!isPlainObject(holder[LEDGER_KEY])) holder[LEDGER_KEY] = {};
  return holder[LEDGER_KEY] as Ledger;
}

/** In this process: the decision `needsApproval` made, then the clearance the guardrail gave. */
interface Pending {
  readonly tool: string;
  readonly args: JsonObject;
  readonly estimate: Estimate | undefined;
  readonly decision?: Promise<Decision>;
  clearance?: Promise<Clearance>;
}

const pendingCalls = new WeakMap<Warden, Map<string, Pending>>();

function callsOf(warden: Warden): Map<string, Pending> {
  let calls = pendingCalls.get(warden);
  if (!calls) {
    calls = new Map();
    pendingCalls.set(warden, calls);
  }
  return calls;
}

/** Governs a function tool (from `tool({...})`); returns a new tool, the original is left as it is. */
export function wardenTool<Context, TParameters extends ToolInputParameters, Result>(
  warden: Warden,
  original: FunctionTool<Context, TParameters, Result>,
  options: WardenToolOptions = {},
): FunctionTool<Context, TParameters, Result> {
  const name = toolName(options.name ?? original.name, 'name');
  const calls = callsOf(warden);
  const prepare = (input: unknown): Pending => {
    const args = options.argsOf ? options.argsOf(input) : inputArgs(input);
    const estimate = typeof options.estimate === 'function' ? options.estimate(input) : options.estimate;
    return { tool: name, args, estimate };
  };
  const request = (call: Pending, approvalId?: string) => ({
    tool: call.tool,
    args: call.args,
    ...(call.estimate ? { estimate: call.estimate } : {}),
    ...(approvalId ? { approvalId } : {}),
  });

  /** How the call may run: from the ledger (a resumed review), the decision made here, or a fresh one. */
  const clear = (context: RunContext<unknown>, callId: string, rawArguments: string): Promise<Clearance> => {
    const known = calls.get(callId);
    if (known?.clearance) return known.clearance;
    const reviewed = ledgerOf(context)?.[callId];
    let clearance: Promise<Clearance>;
    if (reviewed) {
      const call = { tool: reviewed.tool, args: reviewed.args, estimate: reviewed.estimate };
      clearance = warden.clear(request(call, reviewed.approvalId));
    } else if (known?.decision) {
      clearance = known.decision.then(
        (decision) => warden.settle(request(known), decision),
        () => warden.clear(request(known)),
      );
    } else {
      clearance = warden.clear(request(prepare(parseArguments(rawArguments))));
    }
    calls.set(callId, { ...(known ?? prepare(parseArguments(rawArguments))), clearance });
    return clearance;
  };

  const guardrail: ToolInputGuardrailDefinition<Context> = {
    type: 'tool_input',
    name: 'warden',
    run: async ({ context, toolCall }) => {
      try {
        await clear(context as RunContext<unknown>, toolCall.callId, toolCall.arguments);
        return ToolGuardrailFunctionOutputFactory.allow();
      } catch (error) {
        if (!(error instanceof WardenError)) throw error;
        calls.delete(toolCall.callId);
        const reason = error instanceof WardenDenied ? error.reason : error.message;
        return ToolGuardrailFunctionOutputFactory.rejectContent(
          `Warden did not allow ${name} (${error.code}): ${reason}`,
          { code: error.code },
        );
      }
    },
  };

  return {
    ...original,
    needsApproval: async (runContext, input, callId) => {
      const ownRule = await original.needsApproval(runContext, input, callId);
      if (!callId) return ownRule;
      if (ledgerOf(runContext as RunContext<unknown>)?.[callId]) return true;
      const call = calls.get(callId) ?? prepare(input);
      const decision = call.decision ?? warden.decide(request(call));
      decision.catch(() => {});
      calls.set(callId, { ...call, decision });
      const decided = await decision.catch(() => undefined);
      const review = decided?.effect === 'review' ? decided.approvalRequest : null;
      if (review?.mode !== 'pre') return ownRule;
      const ledger = ledgerOf(runContext as RunContext<unknown>);
      if (ledger) {
        ledger[callId] = {
          tool: call.tool,
          args: call.args,
          ...(call.estimate ? { estimate: call.estimate } : {}),
          approvalId: review.id,
        };
      }
      return true;
    },
    inputGuardrails: [guardrail, ...(original.inputGuardrails ?? [])],
    invoke: async (runContext, input, details) => {
      const callId = details?.toolCall?.callId;
      const clearance = callId
        ? await clear(runContext as RunContext<unknown>, callId, input)
        : await warden.clear(request(prepare(parseArguments(input))));
      if (callId) {
        calls.delete(callId);
        const ledger = ledgerOf(runContext as RunContext<unknown>);
        if (ledger) delete ledger[callId];
      }
      return warden.run(
        name,
        clearance,
        () => original.invoke(runContext, input, details),
        options.costOf ? { costOf: options.costOf } : {},
      );
    },
  };
}

/**
 * Settles the run's interruptions that Warden governs: waits for each request's human in Warden
 * (SSE, else long-poll), then approves the interruption, or rejects it with the reason the model
 * will see. Interruptions of tools Warden does not govern are left to the caller. Answers how many
 * it approved and rejected; then `run(agent, state)` goes on.
 */
/** What `wardenApprovals` uses of a RunState. */
export type ApprovableRunState = Pick<
  RunState<unknown, Agent<unknown, 'text'>>,
  'getInterruptions' | 'approve' | 'reject'
> & { readonly _context: RunContext<unknown> };

export async function wardenApprovals(
  warden: Warden,
  state: ApprovableRunState,
  options: { signal?: AbortSignal } = {},
): Promise<{ approved: number; rejected: number }> {
  const ledger = ledgerOf(state._context) ?? {};
  let approved = 0;
  let rejected = 0;
  await Promise.all(
    state.getInterruptions().map(async (item) => {
      const callId = 'callId' in item.rawItem ? item.rawItem.callId : undefined;
      const entry = callId ? ledger[callId] : undefined;
      if (!entry) return;
      const approval = await warden.waitForApproval(entry.approvalId, options);
      if (approval.status === 'approved') {
        state.approve(item);
        approved++;
      } else {
        const comment = approval.comment ? `: ${approval.comment}` : '';
        state.reject(item, {
          message: `Warden: the request for ${entry.tool} was ${approval.status}${comment}`,
        });
        if (callId) delete ledger[callId];
        rejected++;
      }
    }),
  );
  return { approved, rejected };
}

function parseArguments(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return { input: raw };
  }
}

function inputArgs(input: unknown): JsonObject {
  if (input === undefined || input === null) return {};
  return isPlainObject(input) ? input : { input };
}
