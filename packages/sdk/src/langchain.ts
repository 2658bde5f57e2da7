/**
 * LangChain.js (`langchain@1.5`) adapter: `wardenMiddleware(warden)` is an agent middleware
 * (`createMiddleware({ wrapToolCall })`) that governs every tool call of a `createAgent` agent:
 * decide → (a review waits for the human, then uses the approval) → run → outcome. A deny, a
 * rejected review or an unreachable Warden answers the model with an error `ToolMessage` saying
 * why (or throws `WardenDenied` with `onDeny: 'throw'`); the tool does not run.
 */
import { ToolMessage } from '@langchain/core/messages';
import { createMiddleware } from 'langchain';
import type { Estimate, Warden } from './client.js';
import { WardenDenied, WardenError } from './errors.js';
import type { JsonObject } from './validate.js';
import { isPlainObject } from './validate.js';

export interface WardenLangChainToolOptions {
  /** The tool's name in Warden (default: its LangChain name). */
  readonly name?: string;
  readonly argsOf?: (args: unknown) => JsonObject;
  readonly estimate?: Estimate | ((args: unknown) => Estimate | undefined);
  readonly costOf?: (message: ToolMessage) => Estimate | undefined;
}

export interface WardenMiddlewareOptions {
  /** Per LangChain tool name: its Warden name, estimate, cost. */
  readonly tools?: Readonly<Record<string, WardenLangChainToolOptions>>;
  /** `message` (default): the model gets an error ToolMessage; `throw`: the run fails with WardenDenied. */
  readonly onDeny?: 'message' | 'throw';
  /** How long a review may hold the call for a human before it is denied (`approval_pending`). */
  readonly approvalTimeoutMs?: number;
}

export function wardenMiddleware(warden: Warden, options: WardenMiddlewareOptions = {}) {
  return createMiddleware({
    name: 'WardenMiddleware',
    wrapToolCall: async (request, handler) => {
      const call = request.toolCall;
      const own = options.tools?.[call.name] ?? {};
      const tool = own.name ?? call.name;
      const args = own.argsOf ? own.argsOf(call.args) : toArgs(call.args);
      const estimate = typeof own.estimate === 'function' ? own.estimate(call.args) : own.estimate;
      let clearance: Awaited<ReturnType<Warden['clear']>>;
      try {
        clearance = await warden.clear(
          { tool, args, ...(estimate ? { estimate } : {}) },
          options.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: options.approvalTimeoutMs } : {},
        );
      } catch (error) {
        if (options.onDeny === 'throw' || !(error instanceof WardenError)) throw error;
        const reason = error instanceof WardenDenied ? error.reason : error.message;
        return new ToolMessage({
          content: `Warden did not allow ${tool} (${error.code}): ${reason}`,
          tool_call_id: call.id ?? '',
          name: call.name,
          status: 'error',
        });
      }
      return warden.run(tool, clearance, () => handler(request), {
        failureOf: (result) =>
          ToolMessage.isInstance(result) && result.status === 'error' ? String(result.content) : undefined,
        ...(own.costOf
          ? {
              costOf: (result: Awaited<ReturnType<typeof handler>>) =>
                ToolMessage.isInstance(result) && own.costOf ? own.costOf(result) : undefined,
            }
          : {}),
      });
    },
  });
}

function toArgs(args: unknown): JsonObject {
  if (args === undefined || args === null) return {};
  return isPlainObject(args) ? args : { input: args };
}
