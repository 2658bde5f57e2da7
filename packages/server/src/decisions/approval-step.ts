import type { ApprovalRequirement, JsonObject, UsageFacts } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import type { DecisionApprovals } from '../approvals/decision-approvals.js';
import type { RedemptionClaim } from '../approvals/redemption.js';
import { digest } from './call-args.js';
import type { Decided } from './decision.js';
import type { Call } from './decision-write.js';
import { approvedDecision, noApproverDeny } from './late-denies.js';

/** The decision after the approval step, and what its write carries for approvals. */
export interface ApprovalStep {
  readonly decision: Decided;
  /** A call made with an approval: checked and consumed in the decision's transaction. */
  readonly redemption?: RedemptionClaim;
  /** The request a review (or a sampled allow) opens, inserted with the decision. */
  readonly opened?: PreparedApproval;
}

export interface ApprovalCall {
  readonly call: Call;
  readonly agent: Agent;
  /** The arguments as the agent sent them; only used when they are usable (hashing binds approvals). */
  readonly args: JsonObject | undefined;
  readonly approvalId: string | undefined;
  readonly usage: UsageFacts | undefined;
}

/**
 * A call that names an approval (and that nothing denied) becomes an `approved` allow, provided the
 * recorder can use the approval in the decision's own transaction; otherwise a review opens a request
 * (pre or post, as the rule says) and an allowed call opens one for after-the-fact review when a
 * sampling rule picks it.
 */
export async function approvalStep(
  approvals: DecisionApprovals,
  decision: Decided,
  input: ApprovalCall,
): Promise<ApprovalStep> {
  const { call, args } = input;
  if (decision.effect === 'deny' || args === undefined) return { decision };
  if (input.approvalId !== undefined) {
    return {
      decision: approvedDecision(decision, input.approvalId),
      redemption: {
        tenantId: call.tenantId,
        agentId: call.agentId,
        approvalId: input.approvalId,
        actionDigest: digest({ tool: call.tool, args }),
        decisionId: call.decisionId,
        now: call.now,
      },
    };
  }
  const requirement = requirementOf(approvals, decision);
  if (!requirement) return { decision };
  const { context, stored } = call;
  const opened = await approvals.prepare({
    tenantId: call.tenantId,
    agent: input.agent,
    decisionId: call.decisionId,
    taskId: call.taskId,
    tool: call.tool,
    storedArgs: stored.value.args as JsonObject,
    actionDigest: digest({ tool: call.tool, args }),
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
    task: {
      ...(context.initiator ? { initiator: context.initiator } : {}),
      ...(context.onBehalfOf ? { onBehalfOf: context.onBehalfOf } : {}),
      ...(context.interface ? { interface: context.interface } : {}),
      environment: call.environment,
    },
    ...(typeof stored.value.reasoning === 'string' ? { reasoning: stored.value.reasoning } : {}),
    ...(context.recommendation ? { recommendation: context.recommendation } : {}),
    ...(input.usage ? { usage: input.usage } : {}),
    now: call.now,
  });
  if ('refused' in opened) return { decision: noApproverDeny(decision, opened.refused) };
  return { decision, opened };
}

function requirementOf(approvals: DecisionApprovals, decision: Decided): ApprovalRequirement | null {
  if (decision.effect === 'review') return decision.approval;
  if (decision.effect === 'allow' && decision.sample && approvals.sampled(decision.sample.sampleRate ?? 0)) {
    return decision.sample;
  }
  return null;
}
