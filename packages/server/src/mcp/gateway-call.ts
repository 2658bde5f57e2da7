import type { CallToolResult } from '@modelcontextprotocol/server';
import type { JsonObject } from '@warden/policy';
import type { ApprovalReader } from '../approvals/approval-reader.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import type { DecideContext } from '../decisions/decide-request.js';
import type { DecideService } from '../decisions/decide-service.js';
import type { RecordedDecision } from '../decisions/decision.js';
import type { OutcomeService } from '../decisions/outcome-service.js';
import type { Storage } from '../storage/database.js';
import { holdForApproval } from './approval-hold.js';
import { approvedRetry } from './approved-retry.js';
import type { Upstream } from './upstream.js';
import { UpstreamError } from './upstream.js';

export interface GatewayCallDeps {
  readonly storage: Storage;
  readonly decide: DecideService;
  readonly approvals: ApprovalReader;
  /** How long a call a human must approve first is held open for the decision (0: not held). */
  readonly holdMs: number;
  /** While held, a progress notification this often (for clients that sent a progress token). */
  readonly holdTickMs: number;
  /** Aborted when the node shuts down: held calls are answered pending at once. */
  readonly stopping?: AbortSignal;
  /** Keeps a write still under way (an outcome) for the shutdown to wait for. */
  readonly track: (write: Promise<void>) => void;
  readonly outcomes: OutcomeService;
  readonly log: { error(details: Record<string, unknown>, message: string): void };
  /** The largest upstream result passed to the agent, as JSON bytes; a larger one is refused. */
  readonly maxResultBytes: number;
  readonly clock?: () => number;
}

export interface GatewayCall {
  readonly principal: AgentPrincipal;
  /** The Warden name, `<server>.<tool>`: what policies, budgets and the audit see. */
  readonly tool: string;
  readonly upstream: Upstream;
  readonly upstreamName: string;
  readonly args: Record<string, unknown> | undefined;
  readonly context: DecideContext;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: number, total?: number, message?: string) => void;
}

/**
 * One `tools/call` through the gateway: decided on the same pipeline as `POST /v1/decide` (recorded
 * and audited before anything is forwarded); an allowed call is forwarded and its outcome recorded;
 * anything else is answered as a tool error the model can read, and never reaches the upstream.
 */
export async function governedCall(deps: GatewayCallDeps, call: GatewayCall): Promise<CallToolResult> {
  const approvalId = await approvedRetry(deps.storage, {
    tenantId: call.principal.tenantId,
    agentId: call.principal.agentId,
    tool: call.tool,
    args: argsOf(call),
    now: (deps.clock ?? Date.now)(),
  });
  const decision = await decideCall(deps, call, approvalId);
  if (decision.effect === 'deny') return refusal(decision);
  // A `post` review runs at once and is reviewed afterwards, like a sampled allow.
  if (decision.effect === 'allow' || decision.approvalRequest?.mode === 'post')
    return forward(deps, call, decision);
  return held(deps, call, decision);
}

/** A call a human must approve first: held for the decision, then run (once) or refused. */
async function held(
  deps: GatewayCallDeps,
  call: GatewayCall,
  decision: RecordedDecision,
): Promise<CallToolResult> {
  const request = decision.approvalRequest;
  if (!request || deps.holdMs <= 0) return pending(decision);
  const signals = [call.signal, deps.stopping].filter((s) => s !== undefined);
  const end = await holdForApproval(deps.approvals, call.principal, request.id, {
    holdMs: deps.holdMs,
    tickMs: deps.holdTickMs,
    ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    onTick: (elapsedMs) =>
      call.onProgress?.(
        Math.round(elapsedMs / 1_000),
        undefined,
        `waiting for a human to approve ${request.id}`,
      ),
  });
  if (end.kind === 'pending') return pending(decision);
  if (end.kind === 'refused') return humanRefusal(decision, request.id, end.status, end.comment);
  // Approved: the call is decided again using the approval, which the decision consumes, so it runs
  // once; anything that changed meanwhile (a kill switch, a budget) still applies.
  const approved = await decideCall(deps, call, request.id);
  if (approved.effect === 'allow') return forward(deps, call, approved);
  return approved.effect === 'deny' ? refusal(approved) : pending(approved);
}

function decideCall(deps: GatewayCallDeps, call: GatewayCall, approvalId: string | undefined) {
  const cost = estimate(call);
  return deps.decide.decide(
    call.principal,
    {
      tool: call.tool,
      args: argsOf(call),
      context: call.context,
      ...(approvalId ? { approvalId } : {}),
      ...(cost !== undefined ? { estimate: { usd: cost } } : {}),
    },
    'mcp',
  );
}

/** Arguments as decided: MCP makes them optional, Warden binds approvals to them, so none is `{}`. */
const argsOf = (call: GatewayCall) => (call.args ?? {}) as JsonObject;

async function forward(
  deps: GatewayCallDeps,
  call: GatewayCall,
  decision: RecordedDecision,
): Promise<CallToolResult> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  let result: CallToolResult;
  let failure: string | undefined;
  try {
    result = await call.upstream.callTool(call.upstreamName, call.args, {
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.onProgress ? { onProgress: call.onProgress } : {}),
    });
    const bytes = Buffer.byteLength(JSON.stringify(result));
    if (bytes > deps.maxResultBytes) {
      failure = `upstream ${call.upstream.name} returned ${bytes} bytes, over the gateway's limit of ${deps.maxResultBytes}`;
      result = toolError(`${failure}; the result was not passed on.`);
    }
  } catch (error) {
    failure = error instanceof UpstreamError ? error.message : `upstream ${call.upstream.name} failed`;
    if (!(error instanceof UpstreamError))
      deps.log.error({ err: error, tool: call.tool }, 'upstream call failed');
    result = toolError(`${failure}. Warden allowed the call; it did not complete.`);
  }
  const durationMs = Math.max(0, Math.round(clock() - started));
  // The decision was on disk before the call was forwarded; the outcome follows it there without
  // holding the agent's result back (the gateway waits for outcomes still being written on shutdown).
  const cost = estimate(call);
  deps.track(
    deps.outcomes
      .report(call.principal, decision.decisionId, {
        status: failure || result.isError ? 'failed' : 'succeeded',
        durationMs,
        ...(failure ? { error: failure } : { output: result }),
        ...(cost !== undefined ? { costUsd: cost } : {}),
      })
      .then(
        () => undefined,
        (error: unknown) =>
          deps.log.error({ err: error, decisionId: decision.decisionId }, 'gateway outcome not recorded'),
      ),
  );
  return result;
}

const estimate = (call: GatewayCall) => call.upstream.entry.estimates[call.upstreamName];

/** A deny: the code, the policy's reason and what the agent can do next. */
function refusal(decision: RecordedDecision): CallToolResult {
  const next =
    decision.code === 'rate_limited' && decision.retryAfterSeconds !== undefined
      ? ` Try again in ${Math.ceil(decision.retryAfterSeconds)} s.`
      : decision.code === 'no_grant' || decision.code === 'rule'
        ? ' If the task needs it, ask a human for access (POST /v1/access-requests) instead of retrying.'
        : '';
  return {
    ...toolError(`Warden denied this call (${decision.code}): ${decision.reason}.${next}`),
    _meta: { 'warden/decision': { decisionId: decision.decisionId, effect: 'deny', code: decision.code } },
  };
}

/** A human said no (or the request ended without a yes): the call is not run. */
function humanRefusal(
  decision: RecordedDecision,
  approvalId: string,
  status: string,
  comment: string | null,
): CallToolResult {
  const said = comment ? `: ${comment}` : '';
  return {
    ...toolError(
      `Approval request ${approvalId} was ${status}${said}. The call was not run; do not retry it as is.`,
    ),
    _meta: {
      'warden/decision': { decisionId: decision.decisionId, effect: 'deny', code: `approval_${status}` },
    },
  };
}

/** A review: the request a human will decide, and how to come back for it. */
function pending(decision: RecordedDecision): CallToolResult {
  const approvalId = decision.approvalRequest?.id;
  const retryAfterSeconds = 30;
  return {
    ...toolError(
      `This call needs a human's approval (${decision.reason}). It was not run. Approval request ${approvalId} ` +
        `is waiting; call the tool again with the same arguments after about ${retryAfterSeconds} s: once ` +
        'approved it runs, once.',
    ),
    structuredContent: { status: 'pending_approval', approvalId, retryAfterSeconds },
    _meta: { 'warden/decision': { decisionId: decision.decisionId, effect: 'review', code: decision.code } },
  };
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
