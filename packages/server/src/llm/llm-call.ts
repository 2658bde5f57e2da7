import { createHash } from 'node:crypto';
import type { JsonObject, VisibilityIndex } from '@warden/policy';
import type { Amounts } from '../budgets/estimate.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import type { DecideContext } from '../decisions/decide-request.js';
import type { DecideService } from '../decisions/decide-service.js';
import type { RecordedDecision } from '../decisions/decision.js';
import { earlierRequest } from '../decisions/earlier-request.js';
import type { OutcomeService } from '../decisions/outcome-service.js';
import type { Storage } from '../storage/database.js';
import { LlmProxyError } from './http/api-errors.js';
import type { LlmCallTrace } from './http/llm-trace.js';
import type { ModelRoute } from './model-route.js';
import type { ProviderRegistry } from './provider-registry.js';
import type { ShadowRunner } from './shadow/shadow-runner.js';

export interface LlmCallDeps {
  readonly storage: Storage;
  readonly decide: DecideService;
  readonly outcomes: OutcomeService;
  readonly providers: ProviderRegistry;
  /**
   * What the agent could ever be allowed under the active policies, now (the MCP gateway's static
   * visibility index); undefined when nothing (an inactive agent, a tenant without a bundle).
   */
  readonly visibility: (principal: AgentPrincipal) => Promise<VisibilityIndex | undefined>;
  /** Keeps a write still under way (an outcome) for the shutdown to wait for. */
  readonly track: (write: Promise<void>) => void;
  /** Sends a share of some models' calls to a shadow model too (see shadow/shadow-runner.ts). */
  readonly shadows: ShadowRunner;
  readonly log: {
    error(details: Record<string, unknown>, message: string): void;
    warn(details: Record<string, unknown>, message: string): void;
  };
}

/** A model call as Warden decides it. */
export interface LlmCall {
  readonly principal: AgentPrincipal;
  readonly route: ModelRoute;
  /** What policies read: `model`, `max_tokens`, `temperature`, `stream`, `tools`, `input_tokens`, … */
  readonly args: Record<string, unknown>;
  /** The worst case, reserved against every applicable budget until the outcome settles it. */
  readonly estimate: Amounts;
  readonly context: DecideContext;
  /** Set when the model has no price: the call is refused, recorded as `unpriced_model`. */
  readonly unpriced: boolean;
  /**
   * Set when the request asks the provider to run a tool Warden cannot see (a hosted MCP server):
   * the call is allowed only by a rule that reads `args.hosted_tools`, else refused as
   * `hosted_tool_refused` (a 400 naming `field`, recorded as a deny).
   */
  readonly hosted?: { readonly reason: string; readonly field: string };
  /** Its place in a trace, and its metrics (set by the route when telemetry is on). */
  readonly trace?: LlmCallTrace;
}

/**
 * Decides a model call on the same pipeline as `POST /v1/decide` (source `llm`), recorded and
 * audited before anything is sent to the provider. Only an allow (or a review afterwards, `post`)
 * is answered with the decision; anything else is thrown as the refusal the agent's client sees.
 */
export async function decideLlmCall(deps: LlmCallDeps, call: LlmCall): Promise<RecordedDecision> {
  // A request sent again after a human approved it goes through once; one still waiting is refused
  // without asking the approvers a second time.
  const earlier = await earlierRequest(deps.storage, {
    tenantId: call.principal.tenantId,
    agentId: call.principal.agentId,
    tool: call.route.tool,
    args: call.args as JsonObject,
    now: Date.now(),
  });
  const decision = await deps.decide.decide(
    call.principal,
    {
      tool: call.route.tool,
      args: call.args,
      context: call.context,
      estimate: call.estimate,
      ...(earlier ? { approvalId: earlier.id } : {}),
      ...(call.unpriced
        ? {
            refusal: {
              code: 'unpriced_model' as const,
              reason: `no price is known for ${call.route.model} of provider ${call.route.provider.name}; its operator must configure one`,
            },
          }
        : {}),
      ...(call.hosted
        ? {
            explicit: {
              arg: 'hosted_tools',
              code: 'hosted_tool_refused' as const,
              reason: call.hosted.reason,
            },
          }
        : {}),
    },
    'llm',
    call.trace?.decide(call),
  );
  if (
    decision.effect === 'allow' ||
    (decision.effect === 'review' && decision.approvalRequest?.mode === 'post')
  ) {
    return decision;
  }
  throw refusalOf(decision, call);
}

function refusalOf(decision: RecordedDecision, call: LlmCall): LlmProxyError {
  const extra = { decisionId: decision.decisionId };
  if (decision.code === 'hosted_tool_refused') {
    // A request the agent can fix (drop the tool), named like any bad field of the API.
    return new LlmProxyError(400, decision.code, `Warden refused this request: ${decision.reason}`, {
      ...extra,
      ...(call.hosted ? { field: call.hosted.field } : {}),
    });
  }
  if (decision.effect === 'review') {
    const id = decision.approvalRequest?.id;
    return new LlmProxyError(
      403,
      'approval_required',
      `Warden: this model call needs a human's approval (${decision.reason}). It was not sent. Approval request ${id} is waiting; send the same request again once it is approved.`,
      extra,
    );
  }
  const message = `Warden denied this model call (${decision.code}): ${decision.reason}`;
  if (decision.code === 'rate_limited' || decision.code === 'budget_exceeded') {
    return new LlmProxyError(429, decision.code, message, {
      ...extra,
      ...(decision.retryAfterSeconds !== undefined ? { retryAfterSeconds: decision.retryAfterSeconds } : {}),
    });
  }
  return new LlmProxyError(403, decision.code, message, extra);
}

/** What became of an allowed call: what it cost and what the audit keeps of it. */
export interface LlmOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly costUsd: number;
  readonly tokens: number;
  readonly durationMs: number;
  readonly error?: string;
  /** The model's answer and the request's essentials, redacted and capped by data protection. */
  readonly record: Record<string, unknown>;
}

/**
 * Records the outcome, which settles the decision's reservation to what the call cost (a failure the
 * provider did not bill costs 0, so the reservation is released). Written without holding the answer
 * back; the shutdown waits for it.
 */
export function settleLlmCall(
  deps: LlmCallDeps,
  call: LlmCall,
  decision: RecordedDecision,
  outcome: LlmOutcome,
): void {
  call.trace?.settled(call, outcome);
  deps.track(
    deps.outcomes
      .report(call.principal, decision.decisionId, {
        status: outcome.status,
        costUsd: outcome.costUsd,
        tokens: outcome.tokens,
        durationMs: outcome.durationMs,
        ...(outcome.error ? { error: outcome.error } : {}),
        output: outcome.record,
      })
      .then(
        () => undefined,
        (error: unknown) =>
          deps.log.error({ err: error, decisionId: decision.decisionId }, 'LLM proxy outcome not recorded'),
      ),
  );
}

/** A text as the audit keeps it: whole up to data protection's cap, and always its digest. */
export function kept(text: string): {
  readonly text: string;
  readonly sha256: string;
  readonly chars: number;
} {
  return { text, sha256: createHash('sha256').update(text).digest('hex'), chars: text.length };
}
