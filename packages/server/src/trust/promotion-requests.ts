import type { JsonObject } from '@warden/policy';
import type { Kysely } from 'kysely';
import type { Agent, TrustTier } from '../agents/agent.js';
import { agentCard } from '../approvals/agent-card.js';
import type { ApprovalRequest } from '../approvals/approval.js';
import { type PreparedApproval, prepareApproval } from '../approvals/approval-builder.js';
import type { ApprovalOptions } from '../approvals/approval-service.js';
import { Directory } from '../approvals/directory.js';
import type { AuditActor } from '../audit/audit-log.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { Assessment } from './assessment.js';
import { DAY_MS } from './evidence.js';
import { changeTier, type TierChange } from './tier-change.js';

/** How long the owner, then security, have to decide a promotion. */
const PROMOTION_TIMEOUT_SECONDS = 7 * 86_400;

export const SWEEP_ACTOR = { type: 'system', id: 'trust' } as const;

/**
 * Whether the sweep may ask for this agent's promotion now: not while a request is pending, and
 * not within `reaskAfterDays` of one that was denied or expired (a human said no; the evidence
 * must keep growing before they are asked again).
 */
export async function mayAskForPromotion(
  trx: Trx,
  agent: Agent,
  reaskAfterDays: number,
  now: number,
): Promise<boolean> {
  const last = await trx
    .selectFrom('approval_requests')
    .select(['status', 'decided_at'])
    .where('tenant_id', '=', agent.tenantId)
    .where('agent_id', '=', agent.id)
    .where('kind', '=', 'promotion')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last) return true;
  if (last.status === 'pending') return false;
  if (last.status === 'denied' || last.status === 'expired') {
    return now - Number(last.decided_at ?? 0) >= reaskAfterDays * DAY_MS;
  }
  return true;
}

/** The pending promotion request of an agent, if there is one. */
export async function pendingPromotion(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('approval_requests')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .where('kind', '=', 'promotion')
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * A promotion the evidence supports, as an approval request like any other: the agent's owner,
 * then security. It carries the figures judged, so approvers see what they are agreeing to, and
 * `trust.from`, so a request approved after the agent's tier moved changes nothing.
 */
export async function preparePromotion(
  trx: Trx,
  agent: Agent,
  assessment: Assessment,
  evidence: JsonObject,
  options: ApprovalOptions,
  securityGroup: string,
  now: number,
): Promise<PreparedApproval> {
  const directory = await Directory.load(trx, agent.tenantId);
  const prepared = prepareApproval(
    {
      tenantId: agent.tenantId,
      kind: 'promotion',
      mode: 'pre',
      agentId: agent.id,
      // Stored as asked for the agent (a request's requester is an agent or a human); the audit
      // event names the sweep, which is who asked.
      requester: { type: 'agent', id: agent.id },
      requirement: {
        steps: [
          { name: 'owner', approvers: [{ kind: 'user', name: agent.ownerId }], required: 1 },
          { name: 'security', approvers: [{ kind: 'group', name: securityGroup }], required: 1 },
        ],
        timeoutSeconds: PROMOTION_TIMEOUT_SECONDS,
        onTimeout: 'deny',
        escalateTo: [],
      },
      context: {
        agent: agentCard(agent, directory),
        trust: {
          from: agent.tier,
          to: assessment.nextTier,
          criteria: assessment.checks.map((c) => ({
            name: c.name,
            met: c.met,
            required: c.required,
            actual: c.actual,
          })),
          evidence,
        },
      },
      now,
    },
    directory,
    options,
  );
  return { ...prepared, audit: { ...prepared.audit, actor: SWEEP_ACTOR } };
}

/** An approved promotion request promotes the agent, if it is still in the tier it was asked from. */
export async function settlePromotion(
  trx: Trx,
  dialect: Dialect,
  request: ApprovalRequest,
  actor: AuditActor,
  now: number,
): Promise<TierChange | undefined> {
  if (request.kind !== 'promotion' || request.status !== 'approved') return undefined;
  const trust = request.context.trust as { from?: TrustTier; evidence?: JsonObject } | undefined;
  return changeTier(
    trx,
    dialect,
    {
      tenantId: request.tenantId,
      agentId: request.agentId,
      direction: 'promote',
      trigger: 'evidence',
      actor,
      reason: `promotion approved in ${request.id}`,
      evidence: { approvalId: request.id, ...(trust?.evidence ?? {}) },
      ...(trust?.from ? { fromTier: trust.from } : {}),
    },
    now,
  );
}
