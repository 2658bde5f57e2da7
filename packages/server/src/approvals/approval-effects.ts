import type { JsonObject } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import { newId } from '../ids.js';
import { recordIncident } from '../incidents/record-incident.js';
import type { Notification } from '../notify/notifier.js';
import type { Signal } from '../signals/signals.js';
import type { Dialect, Trx } from '../storage/database.js';
import { demoteFor } from '../trust/demotion.js';
import { settlePromotion } from '../trust/promotion-requests.js';
import type { TierChange } from '../trust/tier-change.js';
import type { ApprovalRequest } from './approval.js';
import { initiatorOf } from './stage-routing.js';

/** A POST to the agent's rollback webhook, made after commit. */
export interface RollbackCall {
  readonly tenantId: string;
  readonly agentId: string;
  readonly url: string;
  readonly body: JsonObject;
}

export interface Settlement {
  readonly events: AuditEventInput[];
  readonly signals: Signal[];
  readonly rollbacks: RollbackCall[];
  /** Told after commit (a trust tier that changed: the agent's owner). */
  readonly notices: Notification[];
}

/**
 * What a settled request changes, in the transaction that settles it: an approved access request
 * becomes a grant, an approved registration activates the agent, a rejected or missed after-the-fact
 * review becomes an incident (and a rollback call when the agent has a rollback webhook) and demotes
 * the agent's trust tier, an approved promotion promotes it.
 */
export async function settle(
  trx: Trx,
  request: ApprovalRequest,
  agent: Agent,
  now: number,
  dialect: Dialect,
): Promise<Settlement> {
  const out: Settlement = { events: [], signals: [], rollbacks: [], notices: [] };
  const applyTierChange = (change: TierChange | undefined) => {
    if (!change) return;
    out.events.push(...change.events);
    out.signals.push(...change.signals);
    out.notices.push(...change.notices);
  };
  const actor: AuditActor =
    request.decidedBy && request.decidedBy !== 'system'
      ? { type: 'human', id: request.decidedBy }
      : { type: 'system', id: 'approvals' };
  if (request.status === 'approved' && request.kind === 'access') {
    const access = request.context.access as { tools: string[]; durationSeconds: number };
    const id = newId('grt', now);
    const expiresAt = now + access.durationSeconds * 1000;
    await trx
      .insertInto('access_grants')
      .values({
        tenant_id: request.tenantId,
        id,
        agent_id: request.agentId,
        tools: JSON.stringify(access.tools),
        request_id: request.id,
        created_at: now,
        expires_at: expiresAt,
        revoked_at: null,
      })
      .execute();
    out.events.push({
      type: 'access.grant',
      actor,
      subject: { type: 'agent', id: request.agentId },
      payload: {
        grantId: id,
        approvalId: request.id,
        tools: access.tools,
        expiresAt: new Date(expiresAt).toISOString(),
      },
      at: now,
    });
    out.signals.push({ type: 'grants.changed', tenantId: request.tenantId, agentId: request.agentId });
  }
  if (request.status === 'approved' && request.kind === 'registration' && agent.status === 'pending') {
    await trx
      .updateTable('agents')
      .set({ status: 'active', updated_at: now })
      .where('tenant_id', '=', request.tenantId)
      .where('id', '=', agent.id)
      .execute();
    out.events.push({
      type: 'agent.activate',
      actor,
      subject: { type: 'agent', id: agent.id },
      payload: {
        name: agent.name,
        from: 'pending',
        to: 'active',
        reason: `registration approved in ${request.id}`,
      },
      at: now,
    });
    out.signals.push({ type: 'agent.changed', tenantId: request.tenantId, agentId: agent.id });
  }
  applyTierChange(await settlePromotion(trx, dialect, request, actor, now));
  const incident = incidentKind(request);
  if (incident) {
    const detail = {
      accountable: {
        agent: agent.id,
        owner: agent.ownerId,
        invoker: initiatorOf(request),
        approver: request.decidedBy === 'system' ? null : request.decidedBy,
      },
      tool: request.tool,
      decisionId: request.decisionId,
      comment: request.comment,
    };
    const summary =
      incident === 'review_missed'
        ? `Nobody reviewed ${request.tool} by agent ${agent.name} in time (${request.id})`
        : `A reviewer rejected ${request.tool} already done by agent ${agent.name} (${request.id})`;
    const { id, event } = await recordIncident(trx, {
      tenantId: request.tenantId,
      kind: incident,
      agentId: agent.id,
      approvalId: request.id,
      decisionId: request.decisionId,
      summary,
      detail,
      actor,
      ...(request.taskId ? { task: { id: request.taskId } } : {}),
      ...(request.tool ? { tool: request.tool } : {}),
      now,
    });
    out.events.push(event);
    if (incident !== 'review_missed') {
      applyTierChange(
        await demoteFor(
          trx,
          dialect,
          {
            tenantId: request.tenantId,
            agentId: agent.id,
            trigger: 'review_rejected',
            actor,
            reason: summary,
            incidentId: id,
          },
          now,
        ),
      );
    }
    if (incident !== 'review_missed' && request.mode === 'post' && agent.rollbackUrl) {
      out.rollbacks.push({
        tenantId: request.tenantId,
        agentId: agent.id,
        url: agent.rollbackUrl,
        body: {
          type: 'approval.rollback',
          approvalId: request.id,
          incidentId: id,
          agentId: agent.id,
          decisionId: request.decisionId,
          taskId: request.taskId,
          tool: request.tool,
          actionDigest: request.actionDigest,
          reason: request.comment,
        },
      });
    }
  }
  return out;
}

function incidentKind(request: ApprovalRequest): string | undefined {
  if (request.kind !== 'action') return undefined;
  if (request.mode === 'post' && request.status === 'denied') return 'review_rejected';
  if (request.mode === 'post' && request.status === 'expired') return 'review_missed';
  if (request.mode === 'sample' && request.status === 'denied') return 'sample_rejected';
  return undefined;
}
