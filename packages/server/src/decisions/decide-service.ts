import type { PolicyBundle } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { GrantCache } from '../access/grant-cache.js';
import type { Agent, Environment } from '../agents/agent.js';
import type { AgentCache } from '../agents/agent-cache.js';
import type { DecisionApprovals } from '../approvals/decision-approvals.js';
import type { DataProtection } from '../audit/data-protection.js';
import type { CrossingNotices } from '../budgets/crossing-effects.js';
import type { DecisionBudgets } from '../budgets/decision-budgets.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import type { DelegationGrants } from '../delegation/delegation-store.js';
import { invalidField, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import type { TenantState } from '../kill/tenant-state.js';
import type { RateLimitCache } from '../limits/rate-limit-cache.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { ShadowedCall } from '../policies/shadow/shadow-evaluator.js';
import { type Telemetry, traceRefOf } from '../telemetry/telemetry.js';
import { type Context, endSpan, type Span, type SpanContext, SpanKind } from '../telemetry/tracing.js';
import type { UsageStore } from '../usage/usage-store.js';
import { approvalStep } from './approval-step.js';
import { callArgs, digest } from './call-args.js';
import { checkCallSignals } from './call-signals.js';
import { answerOf } from './decide-answer.js';
import type { DecideRequest, DecideSource } from './decide-request.js';
import { type Decided, type RecordedDecision, serverDeny } from './decision.js';
import type { DecisionRecorder } from './decision-recorder.js';
import type { Call } from './decision-write.js';
import { delegatorsOf } from './delegation.js';
import { firstGateDeny } from './gates.js';
import { storePolicyInput } from './policy-input.js';
import { policyDecision } from './policy-step.js';
import type { TaskHistory } from './task-history.js';
import type { TaskOwners } from './task-owners.js';

export type { DecideRequest, DecideSource } from './decide-request.js';

export interface DecideDeps {
  readonly agents: AgentCache;
  readonly registry: PolicyRegistry;
  readonly usage: UsageStore;
  readonly recorder: DecisionRecorder;
  readonly tasks: TaskOwners;
  /** What conditions read as `task.*`: read only for bundles that reference it. */
  readonly history: TaskHistory;
  /** The delegation grants a call presents as proof of its chain. */
  readonly delegations: DelegationGrants;
  /** Seals data-subject fields and redacts what is stored of the call. */
  readonly protection: DataProtection;
  /** Temporary grants from approved access requests. */
  readonly grants: GrantCache;
  readonly approvals: DecisionApprovals;
  readonly budgets: DecisionBudgets;
  /** Sliding-window call limits: which apply (rules) and the counters (memory or Redis). */
  readonly rateLimits: { readonly rules: RateLimitCache; readonly limiter: RateLimiter };
  /** Told after commit about thresholds crossed and limits reached. */
  readonly crossings: CrossingNotices;
  /** The tenant-wide kill switch. */
  readonly tenants: TenantState;
  readonly log: Pick<FastifyBaseLogger, 'error' | 'warn'>;
  readonly clock: () => number;
  /** Metrics and traces of decisions (either may be off). */
  readonly telemetry?: Telemetry;
  /** Told of every call the policy decided, after it was recorded: a tenant's shadow bundle, if any. */
  readonly shadow?: { observe(call: ShadowedCall): void };
}

/** Where a decision sits in a trace. */
export interface DecideTrace {
  /** The span the decision's span is a child of: the caller's, or the gateway's or proxy's own. */
  readonly parent?: Context | SpanContext;
  /** The caller's span from its `traceparent`, kept on the audit event when Warden records none. */
  readonly remote?: SpanContext;
}

const DECISION_TYPE = { allow: 'allow', deny: 'deny', review: 'warn' } as const;

/**
 * The decide path, the one entry point of every interface (REST API, MCP gateway, LLM proxy). A
 * forward pipeline of values; each step's result is a constant handed to the next:
 *
 * 1. call       the agent (cached), the environment, the arguments checked before anything walks
 *               them (call-args.ts), the signals checked against the policy's declarations
 *               (call-signals.ts);
 * 2. delegation the agents it acts for, each link proven by its delegator, and its access to the
 *               task (delegation.ts, delegation/prove-delegation.ts);
 * 3. gates      tenant freeze, agent status (delegators too), circuit breaker, no policy, rate limit:
 *               the first server deny, or none (gates.ts);
 * 4. policy     @warden/policy `decide` on the call's facts, with the task's history when the
 *               policy reads it (policy-step.ts, task-history.ts);
 * 5. stored     what is kept of the arguments and reasoning: sealed and redacted (DataProtection);
 * 6. approvals  a call using an approval becomes an `approved` allow carrying its claim; a review or a
 *               sampled allow prepares its request (approval-step.ts);
 * 7. budgets    what the call asks of its budgets, as data (budgets/decision-budgets.ts);
 * 8. record     one group-committed transaction locks the calls' tasks and re-checks a verdict that
 *               read the task's history against the history it follows (history-check.ts), checks
 *               and consumes the approval, charges the budgets, turns a failed claim or a refused
 *               charge into its deny, writes the decision with the pure `decisionWrite` and adds it
 *               to its task's history (decision-recorder.ts, decision-write.ts);
 * 9. answer     built from what was written (decide-answer.ts); approvers and budget watchers are
 *               told after the commit.
 *
 * The answer leaves only after the commit; if storage fails, the caller gets
 * `governance_unavailable` (a deny), never an allow.
 */
export class DecideService {
  constructor(private readonly deps: DecideDeps) {}

  async decide(
    principal: AgentPrincipal,
    request: DecideRequest,
    source: DecideSource = 'http',
    trace: DecideTrace = {},
  ): Promise<RecordedDecision> {
    const { telemetry } = this.deps;
    const started = performance.now();
    const span = telemetry?.start(
      'apply_guardrail warden',
      SpanKind.INTERNAL,
      {
        'gen_ai.operation.name': 'apply_guardrail',
        'gen_ai.guardian.name': 'warden',
        'gen_ai.security.target.type': source === 'llm' ? 'llm_input' : 'tool_call',
        'gen_ai.tool.name': request.tool,
        'gen_ai.agent.id': principal.agentId,
        'warden.tenant.id': principal.tenantId,
        'warden.source': source,
      },
      trace.parent,
    );
    try {
      const decision = await this.pipeline(principal, request, source, span, trace.remote);
      telemetry?.metrics?.decisions.inc({ source, effect: decision.effect, code: decision.code });
      if (decision.code === 'rate_limited') telemetry?.metrics?.rateLimited.inc({ source });
      telemetry?.metrics?.decideDuration.observe({ source }, (performance.now() - started) / 1_000);
      if (span) {
        span.setAttributes({
          'gen_ai.security.decision.type': DECISION_TYPE[decision.effect],
          'gen_ai.security.decision.code': decision.code,
          'gen_ai.security.decision.reason': decision.reason,
          'gen_ai.security.policy.id': decision.decidingRule ?? decision.code,
          'gen_ai.security.policy.version': decision.policyVersion,
          'warden.decision.id': decision.decisionId,
          'warden.decision.effect': decision.effect,
          ...(decision.decidingRule ? { 'warden.decision.rule': decision.decidingRule } : {}),
          ...(decision.approvalRequest ? { 'warden.approval.id': decision.approvalRequest.id } : {}),
          ...(decision.taskId ? { 'warden.task.id': decision.taskId } : {}),
        });
        endSpan(span);
      }
      return decision;
    } catch (error) {
      if (error instanceof WardenError) {
        if (span) endSpan(span, error.code, error.message);
        throw error;
      }
      this.deps.log.error(
        { err: error, tenantId: principal.tenantId, agentId: principal.agentId },
        'decide failed',
      );
      telemetry?.metrics?.decisions.inc({ source, effect: 'deny', code: 'governance_unavailable' });
      if (span) endSpan(span, 'governance_unavailable', 'the decision could not be recorded');
      throw new WardenError(
        'governance_unavailable',
        'Warden cannot record decisions right now; the call is denied',
        {
          effect: 'deny',
        },
      );
    }
  }

  private async pipeline(
    principal: AgentPrincipal,
    request: DecideRequest,
    source: DecideSource,
    span: Span | undefined,
    remote: SpanContext | undefined,
  ): Promise<RecordedDecision> {
    const { deps } = this;
    const now = deps.clock();
    const agent = await deps.agents.get(principal.tenantId, principal.agentId);
    if (!agent) throw new WardenError('unauthenticated', 'the agent key is unknown or revoked');
    const context = request.context ?? {};
    const environment = environmentOf(agent, context.environment);
    const args = callArgs(request.args);
    const taskId = context.taskId ?? null;

    const delegation = await delegatorsOf(deps, agent, request.delegation ?? [], request.tool, taskId, now);
    const delegators = delegation.agents;

    const bundle = deps.registry.get(principal.tenantId);
    checkCallSignals(bundle, context);
    const gate = await firstGateDeny(deps, { agent, delegators, bundle, taskId, tool: request.tool, now });

    const refusal = request.refusal
      ? serverDeny(request.refusal.code, request.refusal.reason, agent.id, bundle?.version ?? 'none')
      : undefined;
    const policy =
      gate || refusal || !bundle
        ? undefined
        : await policyDecision(deps, bundle, {
            agent,
            delegators,
            environment,
            tool: request.tool,
            args: request.args,
            taskId,
            context,
            now,
          });
    const unexplicit =
      policy && request.explicit && !explicitlyGranted(bundle, policy.decision, request.explicit.arg)
        ? serverDeny(request.explicit.code, request.explicit.reason, agent.id, bundle?.version ?? 'none')
        : undefined;
    const decided = gate?.decision ?? refusal ?? unexplicit ?? policy?.decision;
    // firstGateDeny answers for a tenant without a bundle, so one of the two decided.
    if (!decided) throw new Error('no gate denied and no policy decided');

    const stored = await deps.protection.protect(
      principal.tenantId,
      {
        args: args.usable ? args.value : args.standIn,
        ...(context.reasoning !== undefined ? { reasoning: context.reasoning } : {}),
      },
      now,
    );
    const call: Call = {
      decisionId: newId('dec', now),
      tenantId: principal.tenantId,
      agentId: agent.id,
      keyId: principal.keyId,
      source,
      tool: request.tool,
      taskId,
      context,
      delegation,
      environment,
      stored,
      argsDigest: args.usable ? digest(args.value) : null,
      now,
      ...(policy ? { policyInput: storePolicyInput(policy.input, policy.decision) } : {}),
      ...traceField(span, remote),
    };
    const content = deps.telemetry?.contentOf(stored.value.args);
    if (content !== undefined) span?.setAttribute('gen_ai.tool.call.arguments', content);

    const approval = await approvalStep(deps.approvals, decided, {
      call,
      agent,
      args: args.usable ? args.value : undefined,
      approvalId: request.approvalId,
      usage: policy?.usage,
    });

    const admission =
      approval.decision.effect === 'deny'
        ? undefined
        : await deps.budgets.plan({
            tenantId: principal.tenantId,
            agent,
            taskId,
            effect: approval.decision.effect,
            estimate: request.estimate,
            decisionId: call.decisionId,
            now,
          });

    const recorded = await deps.recorder.record({
      call,
      decision: approval.decision,
      ...(approval.opened ? { opened: approval.opened } : {}),
      ...(approval.redemption ? { redemption: approval.redemption } : {}),
      ...(admission ? { budget: admission } : {}),
      ...(policy?.history ? { history: policy.history } : {}),
    });

    if (recorded.charge && recorded.charge.crossings.length > 0) {
      void deps.crossings.announce(principal.tenantId, recorded.charge.crossings, now);
    }
    if (recorded.opened) {
      // The decision stands once committed; telling approvers is best effort from here.
      await deps.approvals.announce(recorded.opened).catch((error: unknown) => {
        deps.log.warn(
          { err: error, approvalId: recorded.opened?.request.id },
          'approval announcement failed',
        );
      });
    }
    if (policy && deps.shadow) {
      deps.shadow.observe({
        tenantId: principal.tenantId,
        decisionId: call.decisionId,
        agentId: agent.id,
        input: policy.input,
        verdict: policy.decision,
        now,
      });
    }
    return answerOf(call, recorded, admission, gate?.retryAfterSeconds);
  }
}

/** The trace ids the audit event keeps, when there are any. */
function traceField(span: Span | undefined, remote: SpanContext | undefined) {
  const ref = traceRefOf(span, remote);
  return ref ? { trace: ref } : {};
}

/** The environment of this call: given, and one the agent is registered for, or the agent's only one. */
function environmentOf(agent: Agent, given: Environment | undefined): Environment {
  if (given) {
    if (!agent.environments.includes(given)) {
      throw invalidField(
        'body.context.environment',
        `the agent is not registered for ${given} (it has ${agent.environments.join(', ')})`,
      );
    }
    return given;
  }
  const [only, ...others] = agent.environments;
  if (!only || others.length > 0) {
    throw invalidField(
      'body.context.environment',
      `required: the agent works in ${agent.environments.join(', ')}`,
    );
  }
  return only;
}

/**
 * Whether a call the policy allowed or reviewed was granted by a rule that reads `args.<arg>`: a
 * matched `allow` or `review` rule of a Policy (a Guardrail never grants, nor does a temporary grant
 * of the tool) whose `when` names the argument. In a delegated call every agent of the chain must
 * have been granted so. A deny stands as the policy gave it.
 */
export function explicitlyGranted(
  bundle: PolicyBundle | undefined,
  decision: Pick<Decided, 'effect' | 'code' | 'rules' | 'delegation'>,
  arg: string,
): boolean {
  if (decision.effect === 'deny') return true;
  if (!bundle) return false;
  const reads = new RegExp(`\\bargs\\s*(\\.\\s*${arg}\\b|\\[\\s*["']${arg}["']\\s*\\])`);
  const readers = new Set(
    bundle.rules
      .filter(
        ({ rule, policy }) =>
          policy.kind === 'Policy' &&
          rule.effect !== 'deny' &&
          rule.when !== undefined &&
          reads.test(rule.when),
      )
      .map(({ rule }) => rule.id),
  );
  const verdicts = decision.delegation.length > 0 ? decision.delegation : [decision];
  return verdicts.every((verdict) => verdict.code === 'rule' && verdict.rules.some((id) => readers.has(id)));
}
