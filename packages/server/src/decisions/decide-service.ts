import { createHash } from 'node:crypto';
import {
  type AgentFacts,
  type ApprovalRequirement,
  canonicalJson,
  type DecisionInput,
  decide,
  type JsonObject,
  type UsageFacts,
} from '@warden/policy';
import type { ActiveGrant, GrantCache } from '../access/grant-cache.js';
import { type Agent, agentFacts, type Environment } from '../agents/agent.js';
import type { AgentCache } from '../agents/agent-cache.js';
import type { ApprovalRequest } from '../approvals/approval.js';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import type { ActionReview, DecisionApprovals } from '../approvals/decision-approvals.js';
import type { DataProtection } from '../audit/data-protection.js';
import type { CrossingNotices } from '../budgets/crossing-effects.js';
import { type BudgetView, budgetView, type DecisionBudgets } from '../budgets/decision-budgets.js';
import type { Amounts } from '../budgets/estimate.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import type { DelegationGrants } from '../delegation/delegation-store.js';
import { type DelegationLink, proveDelegation } from '../delegation/prove-delegation.js';
import { invalidField, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import type { TenantState } from '../kill/tenant-state.js';
import type { RateLimitCache } from '../limits/rate-limit-cache.js';
import type { RateLimiter } from '../limits/rate-limiter.js';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { UsageStore } from '../usage/usage-store.js';
import { budgetDeny, refusalPayload } from './budget-deny.js';
import { type ApprovalRef, type RecordedDecision, serverDeny } from './decision.js';
import type { DecisionRecorder, DecisionWrite } from './decision-recorder.js';
import type { TaskOwners } from './task-owners.js';

export interface DecideRequest {
  readonly tool: string;
  readonly args?: Record<string, unknown>;
  readonly context?: {
    readonly taskId?: string;
    readonly parentTaskId?: string;
    readonly initiator?: string;
    readonly onBehalfOf?: string;
    readonly interface?: string;
    readonly environment?: Environment;
    readonly reasoning?: string;
    readonly model?: string;
    readonly modelVersion?: string;
    readonly promptVersion?: string;
    readonly toolVersion?: string;
    /** What the agent recommends doing; shown to the approver of a review. */
    readonly recommendation?: string;
  };
  /** An approved request for exactly this call (same tool and arguments), used once. */
  readonly approvalId?: string;
  /** What the call expects to cost, reserved against its budgets until the outcome settles it. */
  readonly estimate?: Amounts;
  /** The agents this agent acts for, outermost orchestrator first, each with the proof of its link. */
  readonly delegation?: readonly DelegationLink[];
}

export interface DecideDeps {
  readonly agents: AgentCache;
  readonly registry: PolicyRegistry;
  readonly usage: UsageStore;
  readonly recorder: DecisionRecorder;
  readonly tasks: TaskOwners;
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
  readonly clock: () => number;
}

/**
 * The decide path: agent (cached) -> usage counters -> policy (in memory) -> one transaction that
 * records the decision, its task, the usage and the audit event. The answer leaves only after that
 * commit; if storage fails, the caller gets `governance_unavailable` (a deny), never an allow.
 */
export class DecideService {
  constructor(private readonly deps: DecideDeps) {}

  async decide(principal: AgentPrincipal, request: DecideRequest): Promise<RecordedDecision> {
    try {
      return await this.decideAndRecord(principal, request);
    } catch (error) {
      if (error instanceof WardenError) throw error;
      throw new WardenError(
        'governance_unavailable',
        'Warden cannot record decisions right now; the call is denied',
        {
          effect: 'deny',
        },
      );
    }
  }

  private async decideAndRecord(
    principal: AgentPrincipal,
    request: DecideRequest,
  ): Promise<RecordedDecision> {
    const { deps } = this;
    const now = deps.clock();
    const agent = await deps.agents.get(principal.tenantId, principal.agentId);
    if (!agent) throw new WardenError('unauthenticated', 'the agent key is unknown or revoked');
    const context = request.context ?? {};
    const environment = environmentOf(agent, context.environment);
    const taskId = context.taskId ?? null;
    const chain = await proveDelegation(
      { agents: deps.agents, grants: deps.delegations },
      {
        tenantId: principal.tenantId,
        caller: agent,
        links: request.delegation ?? [],
        tool: request.tool,
        taskId,
        now,
      },
    );
    const delegators = chain.agents;
    if (taskId) await deps.tasks.checkAccess(principal.tenantId, taskId, agent, chain.ids);

    const bundle = deps.registry.get(principal.tenantId);
    const policyVersion = bundle?.version ?? 'none';
    const inactive = [...delegators, agent].find((a) => a.status !== 'active');
    let decision: Omit<
      RecordedDecision,
      'decisionId' | 'agentId' | 'taskId' | 'decidedAt' | 'approvalRequest'
    >;
    let usage: UsageFacts | undefined;
    let limited: RateLimitDeny | undefined;
    const freeze = await deps.tenants.frozen(principal.tenantId);
    const broken = [...delegators, agent].find((a) => a.breaker !== null);
    if (freeze) {
      decision = serverDeny(
        'tenant_frozen',
        `the tenant is frozen${freeze.reason ? ` (${freeze.reason})` : ''}: every call is denied until an admin lifts the freeze`,
        agent.id,
        policyVersion,
      );
    } else if (inactive) {
      const who = inactive.id === agent.id ? 'this agent' : `delegating agent ${inactive.id}`;
      decision = serverDeny(
        inactive.status === 'suspended'
          ? 'agent_suspended'
          : inactive.status === 'pending'
            ? 'agent_pending'
            : 'agent_retired',
        inactive.status === 'pending'
          ? `${who} is pending activation by an admin; no call is allowed until then`
          : `${who} is ${inactive.status}; no call is allowed — ask its owner or security`,
        inactive.id,
        policyVersion,
      );
    } else if (broken) {
      const who = broken.id === agent.id ? 'this agent' : `delegating agent ${broken.id}`;
      decision = serverDeny(
        'circuit_open',
        `the circuit breaker of ${who} is open (${broken.breaker?.reason}); calls are denied until a human resets it`,
        broken.id,
        policyVersion,
      );
    } else if (!bundle) {
      decision = serverDeny(
        'no_policy',
        'no policy is active for this tenant: everything is denied',
        agent.id,
        'none',
      );
    } else {
      limited = await this.rateLimited(agent, taskId, request.tool, policyVersion, now);
      if (limited) {
        decision = limited.decision;
      } else {
        usage = await deps.usage.read(principal.tenantId, agent.id, now);
        const input: DecisionInput = {
          agent: await this.facts(agent, environment, now),
          tool: request.tool,
          args: (request.args ?? {}) as JsonObject,
          context: {
            ...(taskId ? { taskId } : {}),
            ...(context.initiator ? { initiator: context.initiator } : {}),
            ...(context.onBehalfOf ? { onBehalfOf: context.onBehalfOf } : {}),
            ...(context.interface ? { interface: context.interface } : {}),
          },
          usage,
          time: { now: new Date(now), hour: new Date(now).getUTCHours(), weekday: new Date(now).getUTCDay() },
          ...(delegators.length > 0
            ? { delegation: await Promise.all(delegators.map((d) => this.facts(d, environment, now))) }
            : {}),
        };
        decision = decide(bundle, input);
      }
    }

    const decisionId = newId('dec', now);
    const args = (request.args ?? {}) as JsonObject;
    // The exact call, for binding approvals; only a redemption or a new request needs it.
    const actionDigest = () => digest({ tool: request.tool, args });
    let approvalRef: ApprovalRef | null = null;
    if (request.approvalId !== undefined && decision.effect !== 'deny') {
      const redeemed = await deps.approvals.redeem({
        tenantId: principal.tenantId,
        agentId: agent.id,
        approvalId: request.approvalId,
        actionDigest: actionDigest(),
        decisionId,
        now,
      });
      decision = redeemed.ok
        ? {
            ...decision,
            effect: 'allow',
            code: 'approved',
            reason: `A human approved this exact call in ${request.approvalId}; the approval is now used up.`,
            approval: null,
            sample: null,
          }
        : {
            ...decision,
            effect: 'deny',
            code: redeemed.code,
            reason: redeemed.reason,
            approval: null,
            sample: null,
          };
      if (redeemed.ok) approvalRef = refOf(redeemed.request);
    }
    // What is stored of the call, in the decision row and in the audit event alike: subject fields
    // sealed, sensitive values redacted.
    const stored = await deps.protection.protect(
      principal.tenantId,
      {
        args,
        ...(context.reasoning !== undefined ? { reasoning: context.reasoning } : {}),
      },
      now,
    );
    const storedContext = {
      ...context,
      ...(stored.value.reasoning !== undefined ? { reasoning: stored.value.reasoning } : {}),
    };
    let prepared = await this.openReview(
      decision,
      {
        tenantId: principal.tenantId,
        agent,
        decisionId,
        taskId,
        tool: request.tool,
        storedArgs: stored.value.args as JsonObject,
        task: {
          ...(context.initiator ? { initiator: context.initiator } : {}),
          ...(context.onBehalfOf ? { onBehalfOf: context.onBehalfOf } : {}),
          ...(context.interface ? { interface: context.interface } : {}),
          environment,
        },
        ...(typeof stored.value.reasoning === 'string' ? { reasoning: stored.value.reasoning } : {}),
        ...(context.recommendation ? { recommendation: context.recommendation } : {}),
        ...(usage ? { usage } : {}),
        now,
      },
      actionDigest,
    );
    type Decided = typeof decision;
    // The request this write opens, else the one this call used.
    const refOfWrite = (opened: PreparedApproval | undefined) =>
      opened ? refOf(opened.request) : approvalRef;
    const pick = (ref: ApprovalRef) => ({ id: ref.id, mode: ref.mode, status: ref.status });
    const writeOf = (
      decision: Decided,
      prepared: PreparedApproval | undefined,
      budget?: JsonObject,
    ): DecisionWrite => ({
      decision: {
        id: decisionId,
        tenant_id: principal.tenantId,
        agent_id: agent.id,
        key_id: principal.keyId,
        task_id: taskId,
        tool: request.tool,
        args: JSON.stringify(stored.value.args),
        effect: decision.effect,
        code: decision.code,
        reason: decision.reason,
        deciding_rule: decision.decidingRule,
        detail: JSON.stringify({
          decidingAgent: decision.decidingAgent,
          rules: decision.rules,
          conditionErrors: decision.conditionErrors,
          approval: decision.approval,
          approvalRequest: refOfWrite(prepared)?.id ?? null,
          delegation: decision.delegation,
          delegators: chain.ids,
          delegationProofs: chain.proofs,
          environment,
          context: storedContext,
        }),
        policy_version: decision.policyVersion,
        evaluation_micros: decision.evaluationMicros,
        created_at: now,
        outcome_status: null,
        outcome: null,
        outcome_at: null,
      },
      task: taskId
        ? {
            tenant_id: principal.tenantId,
            id: taskId,
            agent_id: agent.id,
            parent_task_id: context.parentTaskId ?? null,
            initiator: context.initiator ?? null,
            on_behalf_of: context.onBehalfOf ?? null,
            interface: context.interface ?? null,
            environment,
            created_at: now,
            last_action_at: now,
          }
        : null,
      // Denied calls do not happen, so they do not count as calls.
      usage: {
        tenantId: principal.tenantId,
        agentId: agent.id,
        at: now,
        calls: decision.effect === 'deny' ? 0 : 1,
      },
      audit: {
        type: `decision.${decision.effect}`,
        actor: {
          type: 'agent',
          id: agent.id,
          ...(context.onBehalfOf ? { onBehalfOf: context.onBehalfOf } : {}),
          ...(chain.ids.length
            ? { delegation: [...chain.ids], delegationProofs: chain.proofs.map((p) => p.grant ?? 'spawn') }
            : {}),
          ...(context.initiator ? { initiator: context.initiator } : {}),
          ...(context.interface ? { interface: context.interface } : {}),
        },
        subject: { type: 'decision', id: decisionId },
        ...(taskId
          ? { task: { id: taskId, ...(context.parentTaskId ? { parent: context.parentTaskId } : {}) } }
          : {}),
        tool: request.tool,
        effect: decision.effect,
        rules: [...decision.rules],
        policyVersion: decision.policyVersion,
        payload: {
          ...stored.value,
          argsDigest: digest(args),
          code: decision.code,
          reason: decision.reason,
          decidingRule: decision.decidingRule,
          decidingAgent: decision.decidingAgent,
          ...(decision.approval ? { approval: decision.approval as unknown as JsonObject } : {}),
          ...(refOfWrite(prepared) ? { approvalRequest: pick(refOfWrite(prepared) as ApprovalRef) } : {}),
          ...(budget ? { budget } : {}),
          environment,
          ...versionsOf(context),
          evaluationMicros: decision.evaluationMicros,
        },
        redactions: stored.counts,
        at: now,
      },
      ...(prepared ? { approval: prepared } : {}),
    });
    const write = writeOf(decision, prepared);
    const admission =
      decision.effect === 'deny'
        ? undefined
        : await deps.budgets.plan(
            {
              tenantId: principal.tenantId,
              agent,
              taskId,
              effect: decision.effect,
              estimate: request.estimate,
              decisionId,
              now,
            },
            // A refused call opens no approval request.
            (charge) => writeOf(budgetDeny(decision, charge), undefined, refusalPayload(charge)),
          );
    const recorded = await deps.recorder.record(admission ? { ...write, budget: admission } : write);
    let budget: BudgetView | undefined;
    if (admission && recorded.charge) {
      budget = budgetView(recorded.charge, recorded.write, admission);
      if (recorded.charge.crossings.length > 0) {
        void deps.crossings.announce(principal.tenantId, recorded.charge.crossings, now);
      }
      if (!recorded.charge.admitted) {
        decision = budgetDeny(decision, recorded.charge);
        prepared = undefined;
      }
    }
    if (prepared) approvalRef = refOf(prepared.request);
    if (prepared) {
      // The decision stands once committed; telling approvers is best effort from here.
      await deps.approvals.announce(prepared).catch(() => {});
    }
    return {
      ...decision,
      decisionId,
      agentId: agent.id,
      taskId,
      decidedAt: now,
      approvalRequest: approvalRef,
      ...(budget ? { budget } : {}),
      ...(limited?.retryAfterSeconds !== undefined ? { retryAfterSeconds: limited.retryAfterSeconds } : {}),
    };
  }

  /**
   * Rate limits come before policy: every attempt counts, a denied one too, so a runaway agent
   * hammering denied calls is slowed down as well. A limit store that cannot answer is a deny
   * (fail closed) unless the operator chose fail open.
   */
  private async rateLimited(
    agent: Agent,
    taskId: string | null,
    tool: string,
    policyVersion: string,
    now: number,
  ): Promise<RateLimitDeny | undefined> {
    const { rules, limiter } = this.deps.rateLimits;
    const keys = await rules.keys(agent, taskId, tool);
    if (keys.length === 0) return undefined;
    const result = await limiter.hit(keys, now);
    if (result.ok) return undefined;
    if (result.reason === 'unavailable') {
      return {
        decision: serverDeny(
          'limits_unavailable',
          `rate limits cannot be checked (${result.message}); calls are denied until they can (fail mode closed)`,
          agent.id,
          policyVersion,
        ),
      };
    }
    const retryAfterSeconds = Math.ceil(result.retryAfterMs / 1000);
    return {
      decision: serverDeny(
        'rate_limited',
        `rate limit ${result.ruleId} allows ${result.limit} calls per ${result.windowMs / 1000} s; retry in ${retryAfterSeconds} s`,
        agent.id,
        policyVersion,
      ),
      retryAfterSeconds,
    };
  }

  /** What the policy engine knows of an agent acting now: its facts and its unexpired grants. */
  private async facts(agent: Agent, environment: Environment, now: number): Promise<AgentFacts> {
    const grants: readonly ActiveGrant[] = await this.deps.grants.active(agent.tenantId, agent.id, now);
    const facts = agentFacts(agent, environment);
    return grants.length === 0
      ? facts
      : { ...facts, grants: grants.map((g) => ({ id: g.id, tools: g.tools })) };
  }

  /**
   * A review opens an approval request (pre or post, as the rule says); an allowed call opens one
   * for after-the-fact review when a sampling rule picks it.
   */
  private async openReview(
    decision: Pick<
      RecordedDecision,
      | 'effect'
      | 'approval'
      | 'sample'
      | 'approvalOwners'
      | 'decidingRule'
      | 'reason'
      | 'rules'
      | 'policyVersion'
    >,
    review: Omit<ActionReview, 'requirement' | 'mode' | 'policyOwners' | 'rule' | 'actionDigest'>,
    actionDigest: () => string,
  ): Promise<PreparedApproval | undefined> {
    let requirement: ApprovalRequirement | null = null;
    if (decision.effect === 'review') requirement = decision.approval;
    else if (
      decision.effect === 'allow' &&
      decision.sample &&
      this.deps.approvals.sampled(decision.sample.sampleRate ?? 0)
    ) {
      requirement = decision.sample;
    }
    if (!requirement) return undefined;
    return this.deps.approvals.prepare({
      ...review,
      actionDigest: actionDigest(),
      requirement,
      mode: requirement.mode,
      policyOwners: decision.approvalOwners,
      rule: {
        id: decision.decidingRule,
        reason: decision.reason,
        rules: [...decision.rules],
        policyVersion: decision.policyVersion,
        owners: [...decision.approvalOwners],
      },
    });
  }
}

/** The model, prompt and tool versions the agent reported, when it did. */
function versionsOf(context: NonNullable<DecideRequest['context']>): JsonObject {
  const versions: { [key: string]: string } = {};
  for (const key of ['model', 'modelVersion', 'promptVersion', 'toolVersion'] as const) {
    const value = context[key];
    if (value !== undefined) versions[key] = value;
  }
  return versions;
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

function refOf(request: ApprovalRequest): ApprovalRef {
  return {
    id: request.id,
    mode: request.mode,
    status: request.status,
    deadline: request.deadlineAt,
    grantExpiresAt: request.grantExpiresAt,
  };
}

function digest(value: unknown): string {
  try {
    return createHash('sha256')
      .update(canonicalJson(value as JsonObject))
      .digest('hex');
  } catch {
    return createHash('sha256').update(JSON.stringify(value)).digest('hex');
  }
}

interface RateLimitDeny {
  readonly decision: ReturnType<typeof serverDeny>;
  readonly retryAfterSeconds?: number;
}
