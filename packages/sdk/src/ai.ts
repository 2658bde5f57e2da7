/**
 * Vercel AI SDK (`ai@6`) adapter: `wardenTools(warden, tools)` governs a tool set.
 *
 * - `needsApproval` asks Warden: a review (pre mode) becomes the AI SDK's own approval request, so
 *   `generateText` / `streamText` stop with a `tool-approval-request` part; allow and deny do not.
 * - `wardenApprovalResponses(warden, parts)` waits for Warden's humans and answers those requests
 *   with `tool-approval-response` parts (approved, or denied with the reason) to send back.
 * - `execute` is guarded: a deny throws `WardenDenied` (the AI SDK hands the model a tool error),
 *   an approved review uses its approval, and the outcome (duration, error, cost) is reported.
 */
import type { ModelMessage, Tool, ToolApprovalResponse, ToolExecutionOptions, ToolSet } from 'ai';
import type { Estimate, Warden } from './client.js';
import { WardenInputError } from './errors.js';
import type { Decision } from './generated/api.js';
import type { JsonObject } from './validate.js';
import { isPlainObject, toolName } from './validate.js';

export interface WardenToolOptions {
  /** The tool's name in Warden (default: its key in the tool set). */
  readonly name?: string;
  /** The call's arguments as Warden sees them (default: the tool's input object). */
  readonly argsOf?: (input: unknown) => JsonObject;
  readonly estimate?: Estimate | ((input: unknown) => Estimate | undefined);
  readonly costOf?: (output: unknown) => Estimate | undefined;
}

/** What `needsApproval` learnt for one tool call, until `execute` (or a denied approval) ends it. */
interface PendingCall {
  readonly tool: string;
  readonly args: JsonObject;
  readonly estimate: Estimate | undefined;
  /** The decision; or, for a run resumed elsewhere, the Warden approval its response names. */
  readonly decision: Promise<Decision> | undefined;
  readonly approvalId?: string;
}

const pendingCalls = new WeakMap<Warden, Map<string, PendingCall>>();

function callsOf(warden: Warden): Map<string, PendingCall> {
  let calls = pendingCalls.get(warden);
  if (!calls) {
    calls = new Map();
    pendingCalls.set(warden, calls);
  }
  return calls;
}

/** Governs every tool of `tools` that has an `execute`; the others are returned as they are. */
export function wardenTools<T extends ToolSet>(
  warden: Warden,
  tools: T,
  options: { readonly [K in keyof T]?: WardenToolOptions } = {},
): T {
  const governed: Record<string, unknown> = {};
  for (const [key, tool] of Object.entries(tools)) {
    governed[key] = tool.execute ? wardenTool(warden, tool, { name: key, ...options[key] }) : tool;
  }
  return governed as T;
}

/** Governs one tool (named `options.name` in Warden). */
export function wardenTool<INPUT, OUTPUT>(
  warden: Warden,
  tool: Tool<INPUT, OUTPUT>,
  options: WardenToolOptions & { readonly name: string },
): Tool<INPUT, OUTPUT> {
  const name = toolName(options.name, 'name');
  const execute = tool.execute;
  if (!execute) throw new WardenInputError(name, 'has no execute function to govern');
  if (execute.constructor.name === 'AsyncGeneratorFunction') {
    throw new WardenInputError(
      name,
      'streams its output (an async generator); govern a tool that returns its result',
    );
  }
  const calls = callsOf(warden);
  const prepare = (input: INPUT, approvalId?: string): PendingCall => {
    const args = options.argsOf ? options.argsOf(input) : inputArgs(input);
    const estimate = typeof options.estimate === 'function' ? options.estimate(input) : options.estimate;
    if (approvalId) return { tool: name, args, estimate, decision: undefined, approvalId };
    const decision = warden.decide({ tool: name, args, ...(estimate ? { estimate } : {}) });
    // Observed here, awaited by execute or wardenApprovalResponses: never an unhandled rejection.
    decision.catch(() => {});
    return { tool: name, args, estimate, decision };
  };
  const wrapped: Tool<INPUT, OUTPUT> = {
    ...tool,
    // The AI SDK asks again when a run resumes with an approval: the call is decided once.
    // A run resumed in another process finds the Warden approval in the approval response.
    needsApproval: async (input, approvalOptions) => {
      const call =
        calls.get(approvalOptions.toolCallId) ??
        prepare(input as INPUT, approvedInMessages(approvalOptions.messages, approvalOptions.toolCallId));
      calls.set(approvalOptions.toolCallId, call);
      if (call.approvalId) return true;
      const decision = await call.decision?.catch(() => undefined);
      if (decision?.effect === 'review' && decision.approvalRequest?.mode === 'pre') return true;
      // A tool's own rule still applies on top of Warden's.
      const own = tool.needsApproval;
      return typeof own === 'function' ? own(input, approvalOptions) : own === true;
    },
    execute: async (input: INPUT, executeOptions: ToolExecutionOptions) => {
      const call = calls.get(executeOptions.toolCallId) ?? prepare(input);
      calls.delete(executeOptions.toolCallId);
      const request = {
        tool: call.tool,
        args: call.args,
        ...(call.estimate ? { estimate: call.estimate } : {}),
      };
      const signal = executeOptions.abortSignal ? { signal: executeOptions.abortSignal } : {};
      const clearance = call.decision
        ? await call.decision.then(
            (decision) => warden.settle(request, decision, signal),
            // Warden did not answer: `clear` decides again and applies the client's onUnavailable.
            () => warden.clear(request, signal),
          )
        : await warden.clear({ ...request, approvalId: call.approvalId }, signal);
      return warden.run(
        call.tool,
        clearance,
        () => execute(input, executeOptions) as OUTPUT | Promise<OUTPUT>,
        options.costOf ? { costOf: options.costOf } : {},
      );
    },
  } as Tool<INPUT, OUTPUT>;
  return wrapped;
}

/** The AI SDK's approval request part, as `generateText`'s `content` and `streamText`'s parts carry it. */
interface ApprovalRequestPart {
  readonly type: string;
  readonly approvalId?: string;
  readonly toolCall?: { readonly toolCallId: string };
}

/**
 * Answers the AI SDK's approval requests that Warden governs: waits for each request's human in
 * Warden (SSE, else long-poll) and returns one `tool-approval-response` per request, `approved`
 * exactly when Warden's request was approved. Requests of tools Warden does not govern are left
 * to the caller. Send the parts back in a `tool` message to continue the run.
 */
export async function wardenApprovalResponses(
  warden: Warden,
  parts: readonly ApprovalRequestPart[],
  options: { signal?: AbortSignal } = {},
): Promise<ToolApprovalResponse[]> {
  const calls = callsOf(warden);
  const requests = parts.filter(
    (p) =>
      p.type === 'tool-approval-request' && p.approvalId && p.toolCall && calls.has(p.toolCall.toolCallId),
  );
  return Promise.all(
    requests.map(async (part) => {
      const toolCallId = part.toolCall?.toolCallId as string;
      const call = calls.get(toolCallId) as PendingCall;
      const decision = await call.decision;
      const id = (decision?.approvalRequest?.id ?? call.approvalId) as string;
      const approval = await warden.waitForApproval(id, options);
      const approved = approval.status === 'approved';
      if (!approved) calls.delete(toolCallId);
      // The reason names the Warden request: a run resumed elsewhere uses it (approvedInMessages).
      const reason = approved
        ? `Approved in Warden (${id})`
        : `${decision?.reason ?? 'Not approved'} — the request was ${approval.status} in Warden (${id})${approval.comment ? `: ${approval.comment}` : ''}`;
      return { type: 'tool-approval-response', approvalId: part.approvalId as string, approved, reason };
    }),
  );
}

const WARDEN_APPROVAL = /\((apr_[0-9a-hjkmnp-tv-z]{26})\)$/;

/**
 * The Warden approval an approved `tool-approval-response` in the conversation names for this tool
 * call, if any: how `execute` uses the approval when the run resumes in a process that did not ask.
 */
function approvedInMessages(messages: readonly ModelMessage[], toolCallId: string): string | undefined {
  const requests = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-approval-request') requests.set(part.approvalId, part.toolCallId);
    }
  }
  for (const message of messages) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type !== 'tool-approval-response' || !part.approved) continue;
      if (requests.get(part.approvalId) !== toolCallId) continue;
      const match = WARDEN_APPROVAL.exec(part.reason ?? '');
      if (match?.[1]) return match[1];
    }
  }
  return undefined;
}

function inputArgs(input: unknown): JsonObject {
  if (input === undefined || input === null) return {};
  return isPlainObject(input) ? input : { input };
}
