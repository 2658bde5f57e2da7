import type { ApprovalRequirement, JsonObject, UsageFacts } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import type { Storage } from '../storage/database.js';
import { agentCard } from './agent-card.js';
import { type PreparedApproval, prepareApproval, requirementOf, unanswerable } from './approval-builder.js';
import type { ApprovalOptions, ApprovalService } from './approval-service.js';
import { Directory } from './directory.js';

export interface ActionReview {
  readonly tenantId: string;
  readonly agent: Agent;
  readonly decisionId: string;
  readonly taskId: string | null;
  readonly tool: string;
  /** The arguments as stored: redacted, subject fields sealed. */
  readonly storedArgs: JsonObject;
  readonly actionDigest: string;
  readonly requirement: ApprovalRequirement;
  readonly mode: 'pre' | 'post' | 'sample';
  readonly policyOwners: readonly string[];
  readonly rule: JsonObject;
  readonly task: {
    readonly initiator?: string;
    readonly onBehalfOf?: string;
    readonly interface?: string;
    readonly environment: string;
  };
  readonly reasoning?: string;
  readonly recommendation?: string;
  readonly usage?: UsageFacts;
  readonly now: number;
}

/**
 * The decide path's side of approvals: opening a request for a review. (Using an approval is part of
 * the decision's write: see redemption.ts and the decision recorder.)
 */
export class DecisionApprovals {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly approvals: ApprovalService;
      readonly options: ApprovalOptions;
      /** Uniform in [0, 1): which allowed calls a sampling rule sends to review. */
      readonly random: () => number;
    },
  ) {}

  /** Whether this allowed call is one of the share a sampling rule reviews. */
  sampled(rate: number): boolean {
    return this.deps.random() < rate;
  }

  /**
   * Builds the request for a review (or a sampled allow); the decision's transaction inserts it. A
   * review nobody could ever decide is refused instead (`refused`: why), so the agent hears at once.
   */
  async prepare(review: ActionReview): Promise<PreparedApproval | { readonly refused: string }> {
    const directory = await Directory.load(this.deps.storage.db, review.tenantId);
    const { task, usage } = review;
    const context: JsonObject = {
      agent: agentCard(review.agent, directory),
      task: {
        id: review.taskId,
        initiator: task.initiator ?? null,
        onBehalfOf: task.onBehalfOf ?? null,
        interface: task.interface ?? null,
        environment: task.environment,
      },
      action: { tool: review.tool, args: review.storedArgs, digest: review.actionDigest },
      rule: review.rule,
      reasoning: review.reasoning ?? null,
      recommendation: review.recommendation ?? null,
      spend: usage
        ? { todayUsd: usage.cost_today_usd, monthUsd: usage.cost_month_usd, callsToday: usage.calls_today }
        : null,
      decisionId: review.decisionId,
    };
    const prepared = prepareApproval(
      {
        tenantId: review.tenantId,
        kind: 'action',
        mode: review.mode,
        agentId: review.agent.id,
        decisionId: review.decisionId,
        taskId: review.taskId,
        tool: review.tool,
        actionDigest: review.actionDigest,
        requester: { type: 'agent', id: review.agent.id },
        ...(task.initiator ? { initiator: task.initiator } : {}),
        ...(task.onBehalfOf ? { onBehalfOf: task.onBehalfOf } : {}),
        requirement: requirementOf(review.requirement),
        policyOwners: review.policyOwners,
        context,
        now: review.now,
      },
      directory,
      this.deps.options,
    );
    // A sampled allow stays allowed: its after-the-fact review waits like any unroutable one.
    const refused = review.mode === 'sample' ? null : unanswerable(prepared.request, directory);
    return refused ? { refused } : prepared;
  }

  announce(prepared: PreparedApproval): Promise<void> {
    return this.deps.approvals.announce(prepared);
  }
}
