import type { CallToolResult } from '@modelcontextprotocol/server';
import type { JsonObject } from '@warden/policy';
import type { ApprovalReader } from '../approvals/approval-reader.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import type { DecideContext } from '../decisions/decide-request.js';
import type { DecideService } from '../decisions/decide-service.js';
import type { RecordedDecision } from '../decisions/decision.js';
import { earlierRequest } from '../decisions/earlier-request.js';
import type { OutcomeService } from '../decisions/outcome-service.js';
import type { Storage } from '../storage/database.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { endSpan, SpanKind } from '../telemetry/tracing.js';
import { holdForApproval } from './approval-hold.js';
import { type CallTrace, upstreamMeta } from './gateway-trace.js';
import type { Upstream } from './upstream.js';
import { UpstreamError } from './upstream.js';
import type { RelayTarget } from './upstream-asks.js';

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
  /** Metrics and spans of gateway calls (either may be off). */
  readonly telemetry?: Telemetry;
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
  /** Where the upstream's sampling and elicitation requests during the call go (entries that allow them). */
  readonly relay?: RelayTarget;
  /** The call's place in a trace, and its overhead measured. */
  readonly trace?: CallTrace;
}

/** What becomes of a call once decided (and held, when a human must approve it first). */
export type Verdict =
  | { readonly kind: 'run'; readonly decision: RecordedDecision }
  | {
      readonly kind: 'refused';
      readonly decision: RecordedDecision;
      readonly text: string;
      readonly code: string;
    }
  | {
      readonly kind: 'pending';
      readonly decision: RecordedDecision;
      readonly approvalId: string | undefined;
    };

/**
 * Decides a gateway call on the same pipeline as `POST /v1/decide` (recorded and audited before
 * anything is forwarded). A call that already has an approval request uses it: an approved one runs
 * the call once (the decision consumes it); a waiting one makes this decision an audited
 * `approval_pending` deny that opens no second request, and the call waits on the first. A call a
 * human must approve first is held for the decision, then decided again with the approval. Only
 * `run` may reach the upstream.
 */
export async function verdictOf(deps: GatewayCallDeps, call: GatewayCall): Promise<Verdict> {
  const earlier = await earlierRequest(deps.storage, {
    tenantId: call.principal.tenantId,
    agentId: call.principal.agentId,
    tool: call.tool,
    args: argsOf(call),
    now: (deps.clock ?? Date.now)(),
  });
  const decision = await decideCall(deps, call, earlier?.id);
  // A `post` review runs at once and is reviewed afterwards, like a sampled allow.
  if (
    decision.effect === 'allow' ||
    (decision.effect === 'review' && decision.approvalRequest?.mode === 'post')
  ) {
    return { kind: 'run', decision };
  }
  if (decision.effect === 'deny') {
    if (earlier?.status === 'pending' && decision.code === 'approval_pending') {
      return held(deps, call, decision, earlier.id);
    }
    return refusalOf(decision);
  }
  const request = decision.approvalRequest;
  return request
    ? held(deps, call, decision, request.id)
    : { kind: 'pending', decision, approvalId: undefined };
}

/** Waits (up to the hold) for a human's decision on `approvalId`, then decides the call again. */
async function held(
  deps: GatewayCallDeps,
  call: GatewayCall,
  decision: RecordedDecision,
  approvalId: string,
): Promise<Verdict> {
  if (deps.holdMs <= 0) return { kind: 'pending', decision, approvalId };
  const signals = [call.signal, deps.stopping].filter((s) => s !== undefined);
  const waitStarted = performance.now();
  const span = deps.telemetry?.start(
    'approval_wait',
    SpanKind.INTERNAL,
    { 'warden.approval.id': approvalId, 'gen_ai.tool.name': call.tool },
    call.trace?.parent,
  );
  const end = await holdForApproval(deps.approvals, call.principal, approvalId, {
    holdMs: deps.holdMs,
    tickMs: deps.holdTickMs,
    ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    onTick: (elapsedMs) =>
      call.onProgress?.(
        Math.round(elapsedMs / 1_000),
        undefined,
        `waiting for a human to approve ${approvalId}`,
      ),
  });
  call.trace?.held(performance.now() - waitStarted);
  if (span) {
    span.setAttributes({
      'warden.approval.hold.end': end.kind,
      ...(end.kind === 'refused' ? { 'warden.approval.status': end.status } : {}),
      ...(end.kind === 'approved' ? { 'warden.approval.status': 'approved' } : {}),
    });
    endSpan(span);
  }
  if (end.kind === 'pending') return { kind: 'pending', decision, approvalId: approvalId };
  if (end.kind === 'refused') {
    const said = end.comment ? `: ${end.comment}` : '';
    return {
      kind: 'refused',
      decision,
      code: `approval_${end.status}`,
      text: `Approval request ${approvalId} was ${end.status}${said}. The call was not run; do not retry it as is.`,
    };
  }
  // Anything that changed while it was held (a kill switch, a budget) still applies.
  const approved = await decideCall(deps, call, approvalId);
  if (approved.effect === 'allow') return { kind: 'run', decision: approved };
  return approved.effect === 'deny'
    ? refusalOf(approved)
    : { kind: 'pending', decision: approved, approvalId: approved.approvalRequest?.id };
}

/**
 * Runs an allowed call on its upstream and records its outcome (succeeded or failed, duration, the
 * result as stored outputs are: redacted and capped) without holding the result back: the decision
 * was on disk before the call was forwarded, and the gateway waits for outcomes being written on
 * shutdown. A result over the size limit, an upstream error or timeout is a failure, named.
 */
export async function runCall<T>(
  deps: GatewayCallDeps,
  call: GatewayCall,
  decision: RecordedDecision,
  send: () => Promise<T>,
  isError: (result: T) => boolean = () => false,
): Promise<{ readonly result?: T; readonly failure?: string }> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  let result: T | undefined;
  let failure: string | undefined;
  try {
    call.trace?.forwarding();
    result = await send();
    const bytes = Buffer.byteLength(JSON.stringify(result));
    if (bytes > deps.maxResultBytes) {
      failure = `upstream ${call.upstream.name} returned ${bytes} bytes, over the gateway's limit of ${deps.maxResultBytes}`;
      result = undefined;
    }
  } catch (error) {
    failure = error instanceof UpstreamError ? error.message : `upstream ${call.upstream.name} failed`;
    if (!(error instanceof UpstreamError))
      deps.log.error({ err: error, tool: call.tool }, 'upstream call failed');
  }
  const cost = estimate(call);
  deps.track(
    deps.outcomes
      .report(call.principal, decision.decisionId, {
        status: failure || (result !== undefined && isError(result)) ? 'failed' : 'succeeded',
        durationMs: Math.max(0, Math.round(clock() - started)),
        ...(failure ? { error: failure } : { output: result }),
        ...(cost !== undefined ? { costUsd: cost } : {}),
      })
      .then(
        () => undefined,
        (error: unknown) =>
          deps.log.error({ err: error, decisionId: decision.decisionId }, 'gateway outcome not recorded'),
      ),
  );
  return failure ? { failure } : { result: result as T };
}

/**
 * One `tools/call` through the gateway: an allowed call is run (by `run`, or forwarded as it is) and
 * its result returned as the upstream gave it; anything else is answered as a tool error the model
 * can read, and never reaches the upstream.
 */
export async function governedCall<R = CallToolResult>(
  deps: GatewayCallDeps,
  call: GatewayCall,
  run?: (decision: RecordedDecision) => Promise<R>,
): Promise<CallToolResult | R> {
  const verdict = await verdictOf(deps, call);
  if (verdict.kind === 'refused') return refusedResult(verdict);
  if (verdict.kind === 'pending') return pending(verdict.decision, verdict.approvalId);
  return run ? run(verdict.decision) : forwardCall(deps, call, verdict.decision);
}

/**
 * Forwards an allowed call and records its outcome: the upstream's result as it gave it, or a tool
 * error saying what went wrong (Warden allowed it; it did not complete).
 */
export async function forwardCall(
  deps: GatewayCallDeps,
  call: GatewayCall,
  decision: RecordedDecision,
): Promise<CallToolResult> {
  const { result, failure } = await runCall(
    deps,
    call,
    decision,
    () =>
      call.upstream.callTool(call.upstreamName, call.args, {
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.onProgress ? { onProgress: call.onProgress } : {}),
        ...(call.relay ? { relay: call.relay } : {}),
        ...(call.trace ? { meta: upstreamMeta(call.trace) } : {}),
      }),
    (r) => r.isError === true,
  );
  if (failure) {
    const passedOn = failure.includes('over the gateway')
      ? '; the result was not passed on.'
      : '. Warden allowed the call; it did not complete.';
    return toolError(`${failure}${passedOn}`);
  }
  return result as CallToolResult;
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
    {
      ...(call.trace?.parent ? { parent: call.trace.parent } : {}),
      ...(call.trace?.remote ? { remote: call.trace.remote } : {}),
    },
  );
}

/** Arguments as decided: MCP makes them optional, Warden binds approvals to them, so none is `{}`. */
const argsOf = (call: GatewayCall) => (call.args ?? {}) as JsonObject;

const estimate = (call: GatewayCall) => call.upstream.entry.estimates[call.upstreamName];

/** A deny: the code, the policy's reason and what the agent can do next. */
function refusalOf(decision: RecordedDecision): Verdict {
  const next =
    decision.code === 'rate_limited' && decision.retryAfterSeconds !== undefined
      ? ` Try again in ${Math.ceil(decision.retryAfterSeconds)} s.`
      : decision.code === 'no_grant' || decision.code === 'rule'
        ? ' If the task needs it, ask a human for access (POST /v1/access-requests) instead of retrying.'
        : '';
  return {
    kind: 'refused',
    decision,
    code: decision.code,
    text: `Warden denied this call (${decision.code}): ${decision.reason}.${next}`,
  };
}

function refusedResult(verdict: Extract<Verdict, { kind: 'refused' }>): CallToolResult {
  return {
    ...toolError(verdict.text),
    _meta: {
      'warden/decision': { decisionId: verdict.decision.decisionId, effect: 'deny', code: verdict.code },
    },
  };
}

/** A review: the request a human will decide, and how to come back for it. */
function pending(decision: RecordedDecision, approvalId: string | undefined): CallToolResult {
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
