import type { JsonObject, TaskFacts } from '@warden/policy';
import type { Insertable } from 'kysely';
import type { Environment } from '../agents/agent.js';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import type { AuditEventInput } from '../audit/audit-log.js';
import type { Protected } from '../audit/data-protection.js';
import type { ProvenDelegation } from '../delegation/prove-delegation.js';
import type { DecisionsTable, TasksTable } from '../storage/schema.js';
import type { UsageIncrement } from '../usage/usage-store.js';
import type { DecideContext, DecideSource } from './decide-request.js';
import type { ApprovalRef, Decided } from './decision.js';

/** What is known of a call apart from its decision: everything its write needs besides. */
export interface Call {
  readonly decisionId: string;
  readonly tenantId: string;
  readonly agentId: string;
  readonly keyId: string;
  readonly source: DecideSource;
  readonly tool: string;
  readonly taskId: string | null;
  readonly context: DecideContext;
  /** The agents this agent acts for, outermost first, with how each link was proven. */
  readonly delegation: ProvenDelegation;
  readonly environment: Environment;
  /** `args` (and `reasoning`) as stored: sealed and redacted, or a stand-in for unusable arguments. */
  readonly stored: Protected;
  /** Identifies the arguments as sent; null when they were unusable (never hashed). */
  readonly argsDigest: string | null;
  readonly now: number;
  /** The policy engine's input and verdict (policy-input.ts), when the policy decided the call. */
  readonly policyInput?: string;
  /** The decision's span (or the caller's, when Warden records none): kept on the audit event. */
  readonly trace?: { readonly traceId: string; readonly spanId: string };
}

/** Everything one decision writes; all of it commits together or not at all. */
export interface DecisionWrite {
  readonly decision: Insertable<DecisionsTable>;
  readonly task: TasksTable | null;
  readonly usage: UsageIncrement;
  readonly audit: AuditEventInput;
  /** The approval request a review (or sampled allow) opens, with its audit event. */
  readonly approval?: PreparedApproval;
}

export interface WriteExtras {
  /** The request this decision opens, written with it. */
  readonly opened?: PreparedApproval;
  /** The request opened or used, named in the row and the event. */
  readonly approvalRef: ApprovalRef | null;
  /** For a budget deny: what the refusing budget had and the call asked. */
  readonly budgetRefusal?: JsonObject;
  /** The task history the verdict stands on, when the policy read it. */
  readonly task?: TaskFacts;
}

/**
 * The rows and the audit event of one decided call. Pure: the decide path builds a call's write with
 * it, and the recorder builds the deny that replaces it (a used approval, a budget with no room) with
 * it too, inside the transaction.
 */
export function decisionWrite(call: Call, decision: Decided, extras: WriteExtras): DecisionWrite {
  const { context, stored, taskId } = call;
  const storedContext =
    stored.value.reasoning !== undefined ? { ...context, reasoning: stored.value.reasoning } : context;
  const ref = extras.approvalRef;
  return {
    decision: {
      id: call.decisionId,
      tenant_id: call.tenantId,
      agent_id: call.agentId,
      key_id: call.keyId,
      task_id: taskId,
      tool: call.tool,
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
        approvalRequest: ref?.id ?? null,
        delegation: decision.delegation,
        delegators: call.delegation.ids,
        delegationProofs: call.delegation.proofs,
        environment: call.environment,
        context: storedContext,
        source: call.source,
        ...(extras.task ? { task: extras.task } : {}),
      }),
      policy_version: decision.policyVersion,
      evaluation_micros: decision.evaluationMicros,
      created_at: call.now,
      outcome_status: null,
      outcome: null,
      outcome_at: null,
      policy_input: call.policyInput ?? null,
    },
    task: taskRowOf(call),
    // Denied calls do not happen, so they do not count as calls.
    usage: {
      tenantId: call.tenantId,
      agentId: call.agentId,
      at: call.now,
      calls: decision.effect === 'deny' ? 0 : 1,
    },
    audit: {
      type: `decision.${decision.effect}`,
      actor: {
        type: 'agent',
        id: call.agentId,
        ...(context.onBehalfOf ? { onBehalfOf: context.onBehalfOf } : {}),
        ...(call.delegation.ids.length > 0
          ? {
              delegation: [...call.delegation.ids],
              delegationProofs: call.delegation.proofs.map((p) => p.grant ?? 'spawn'),
            }
          : {}),
        ...(context.initiator ? { initiator: context.initiator } : {}),
        ...(context.interface ? { interface: context.interface } : {}),
      },
      subject: { type: 'decision', id: call.decisionId },
      ...(taskId
        ? { task: { id: taskId, ...(context.parentTaskId ? { parent: context.parentTaskId } : {}) } }
        : {}),
      tool: call.tool,
      effect: decision.effect,
      rules: [...decision.rules],
      policyVersion: decision.policyVersion,
      payload: {
        ...stored.value,
        argsDigest: call.argsDigest,
        code: decision.code,
        reason: decision.reason,
        decidingRule: decision.decidingRule,
        decidingAgent: decision.decidingAgent,
        ...(decision.approval ? { approval: decision.approval as unknown as JsonObject } : {}),
        ...(ref ? { approvalRequest: { id: ref.id, mode: ref.mode, status: ref.status } } : {}),
        ...(extras.budgetRefusal ? { budget: extras.budgetRefusal } : {}),
        ...(context.signals ? { signals: { ...context.signals } } : {}),
        environment: call.environment,
        ...versionsOf(context),
        evaluationMicros: decision.evaluationMicros,
        ...(call.trace ? { trace: { traceId: call.trace.traceId, spanId: call.trace.spanId } } : {}),
      },
      redactions: stored.counts,
      at: call.now,
    },
    ...(extras.opened ? { approval: extras.opened } : {}),
  };
}

/** The row of the call's task (created by its first call, touched by every later one); null without a task. */
export function taskRowOf(call: Call): TasksTable | null {
  const { context, taskId } = call;
  return taskId
    ? {
        tenant_id: call.tenantId,
        id: taskId,
        agent_id: call.agentId,
        parent_task_id: context.parentTaskId ?? null,
        initiator: context.initiator ?? null,
        on_behalf_of: context.onBehalfOf ?? null,
        interface: context.interface ?? null,
        environment: call.environment,
        created_at: call.now,
        last_action_at: call.now,
        history_seq: 1,
      }
    : null;
}

/** The model, prompt and tool versions the agent reported, when it did. */
function versionsOf(context: DecideContext): JsonObject {
  const versions: { [key: string]: string } = {};
  for (const key of ['model', 'modelVersion', 'promptVersion', 'toolVersion'] as const) {
    const value = context[key];
    if (value !== undefined) versions[key] = value;
  }
  return versions;
}
