import type { JsonObject } from '@warden/policy';
import type { Agent, TrustTier } from '../agents/agent.js';
import { agentNotification } from '../agents/agent-notify.js';
import { findAgentForWrite, findHuman } from '../agents/agent-store.js';
import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import type { Notification } from '../notify/notifier.js';
import type { Signal } from '../signals/signals.js';
import type { Dialect, Trx } from '../storage/database.js';
import { nextTier, tierBelow } from './criteria.js';
import { saveStanding, standingOf } from './trust-store.js';

/** Why a tier changes: the sweep's evidence, an approved request, or one of the demotion triggers. */
export type TrustTrigger =
  | 'evidence'
  | 'critical_incident'
  | 'budget_overrun'
  | 'circuit_breaker'
  | 'review_rejected';

export interface TierChangeInput {
  readonly tenantId: string;
  readonly agentId: string;
  readonly direction: 'promote' | 'demote';
  readonly trigger: TrustTrigger;
  readonly actor: AuditActor;
  readonly reason: string;
  /** What the change rests on: the figures judged, the incident, the approval. */
  readonly evidence: JsonObject;
  /** Only promote (or demote) an agent still in this tier: a request approved late changes nothing. */
  readonly fromTier?: TrustTier;
}

/** A committed tier change and what to do after commit. */
export interface TierChange {
  readonly agent: Agent;
  readonly from: TrustTier;
  readonly to: TrustTier;
  readonly events: AuditEventInput[];
  readonly notices: Notification[];
  readonly signals: Signal[];
}

/**
 * Moves an agent one tier up or down inside the caller's transaction, holding its row: the tier,
 * the start of its new time in the tier, the `agent.trust_promote` / `agent.trust_demote` audit
 * event with its evidence, a notice to the owner and the `agent.changed` signal (every node's agent
 * cache drops the agent, so the next decision sees the new tier). An agent demoted while in the
 * lowest tier stays there, but its time in the tier starts again: the evidence it had is void.
 * Returns undefined when nothing changes (retired, or no longer in `fromTier`, or promoted at the top).
 */
export async function changeTier(
  trx: Trx,
  dialect: Dialect,
  input: TierChangeInput,
  now: number,
): Promise<TierChange | undefined> {
  const agent = await findAgentForWrite(trx, dialect, input.tenantId, input.agentId);
  if (!agent || agent.status === 'retired') return undefined;
  if (input.fromTier !== undefined && agent.tier !== input.fromTier) return undefined;
  const from = agent.tier;
  const to = input.direction === 'promote' ? nextTier(from) : (tierBelow(from) ?? from);
  if (to === null) return undefined;
  if (to !== from) {
    await trx
      .updateTable('agents')
      .set({ tier: to, updated_at: now })
      .where('tenant_id', '=', agent.tenantId)
      .where('id', '=', agent.id)
      .execute();
  }
  const standing = await standingOf(trx, agent);
  await saveStanding(trx, agent.tenantId, agent.id, { tierSince: now, checkedAt: standing.checkedAt });
  const next: Agent = { ...agent, tier: to, updatedAt: to === from ? agent.updatedAt : now };
  const type = `agent.trust_${input.direction}`;
  const restarted = to === from;
  const event: AuditEventInput = {
    type,
    actor: input.actor,
    subject: { type: 'agent', id: agent.id },
    payload: {
      name: agent.name,
      from,
      to,
      trigger: input.trigger,
      reason: input.reason,
      ...(restarted ? { restarted: 'already in the lowest tier: its time in the tier starts again' } : {}),
      previousTierSince: new Date(standing.tierSince).toISOString(),
      evidence: input.evidence,
    },
    at: now,
  };
  const owner = await findHuman(trx, agent.tenantId, agent.ownerId);
  const summary = restarted
    ? `Agent ${agent.name} stays ${from}; its time in the tier starts again: ${input.reason}`
    : `Agent ${agent.name} was ${input.direction === 'promote' ? 'promoted' : 'demoted'} from ${from} to ${to}: ${input.reason}`;
  const notices = owner
    ? [
        agentNotification(
          type,
          next,
          owner,
          summary,
          { from, to, trigger: input.trigger, reason: input.reason },
          now,
        ),
      ]
    : [];
  return {
    agent: next,
    from,
    to,
    events: [event],
    notices,
    signals: [{ type: 'agent.changed', tenantId: agent.tenantId, agentId: agent.id }],
  };
}
