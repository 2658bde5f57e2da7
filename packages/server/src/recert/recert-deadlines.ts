import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/agent.js';
import { sendNotifications } from '../agents/agent-notify.js';
import { findAgentForWrite, type HumanRef } from '../agents/agent-store.js';
import { cancelPendingApprovals } from '../approvals/approval-cancel.js';
import type { AuditActor, AuditEventInput, AuditLog } from '../audit/audit-log.js';
import { suspendLocked } from '../kill/suspension.js';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Notification, Notifier } from '../notify/notifier.js';
import type { Signal, Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { activeHumans } from '../tenants/active-humans.js';
import type { Campaign, CampaignItem } from './campaign.js';
import { campaignNotices } from './recert-notices.js';
import { campaignItems, dueCampaigns, lockCampaign } from './recert-store.js';

export const RECERT_ACTOR: AuditActor = { type: 'system', id: 'recertification' };
const BATCH = 50;

export interface RecertDeadlineDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

/**
 * Every node sweeps for campaigns whose deadline or grace has passed. Each step takes the campaign
 * row's lock and checks its status again before it acts, so when several nodes see the same
 * campaign due, exactly one escalates it and exactly one closes it; the others find it moved on.
 */
export function recertDeadlines(deps: RecertDeadlineDeps, intervalMs: number): PeriodicWorker<number> {
  return new PeriodicWorker({
    name: 'recertification deadlines',
    intervalMs,
    log: deps.log,
    pass: (stopping) => sweepCampaigns(deps, stopping),
  });
}

/** One sweep; returns how many campaigns this node moved on. */
export async function sweepCampaigns(
  deps: RecertDeadlineDeps,
  stopping: () => boolean = () => false,
): Promise<number> {
  let moved = 0;
  for (const due of await dueCampaigns(deps.storage.db, deps.clock(), BATCH)) {
    if (stopping()) break;
    try {
      const acted = due.status === 'open' ? await escalate(deps, due) : await close(deps, due);
      if (acted) moved++;
    } catch (error) {
      deps.log.error(
        { err: error, campaignId: due.id },
        'recertification deadline failed; retrying on the next sweep',
      );
    }
  }
  return moved;
}

/**
 * The deadline: every agent still unanswered is escalated to security, who may certify it during the
 * grace. A campaign with nothing left to answer completes instead.
 */
async function escalate(deps: RecertDeadlineDeps, due: Campaign): Promise<boolean> {
  const { storage, audit, clock } = deps;
  const now = clock();
  const outcome = await writeTransaction(storage, async (trx) => {
    const campaign = await lockCampaign(trx, storage.dialect, due.tenantId, due.id);
    if (campaign.status !== 'open' || campaign.deadlineAt > now) return undefined;
    const pending = (await campaignItems(trx, campaign.tenantId, campaign.id)).filter(
      (i) => i.status === 'pending',
    );
    await trx
      .updateTable('recert_items')
      .set({ status: 'escalated', escalated_at: now })
      .where('campaign_id', '=', campaign.id)
      .where('status', '=', 'pending')
      .execute();
    await trx
      .updateTable('recert_campaigns')
      .set({ status: 'escalated', escalated_at: now })
      .where('id', '=', campaign.id)
      .execute();
    await audit.append(trx, campaign.tenantId, [
      {
        type: 'recert.escalate',
        actor: RECERT_ACTOR,
        subject: { type: 'recert_campaign', id: campaign.id },
        payload: {
          name: campaign.name,
          unanswered: pending.map((i) => i.agentId),
          graceEndsAt: new Date(campaign.deadlineAt + campaign.graceMs).toISOString(),
          onNoResponse: campaign.onNoResponse,
        },
        at: now,
      },
    ]);
    const security = await securityOf(trx, campaign.tenantId);
    return { campaign, pending, security };
  });
  if (!outcome) return false;
  const { campaign, pending, security } = outcome;
  sendNotifications(
    deps,
    campaignNotices(
      'recert.escalate',
      campaign,
      security,
      () =>
        `Recertification "${campaign.name}" passed its deadline with ${pending.length} agent(s) unanswered; certify them by ${new Date(campaign.deadlineAt + campaign.graceMs).toISOString()} or they are ${campaign.onNoResponse === 'suspend' ? 'suspended' : 'flagged'}`,
      () => ({ unanswered: pending.map((i) => i.agentId), onNoResponse: campaign.onNoResponse }),
      now,
      undefined,
      true,
    ),
  );
  return true;
}

/**
 * The grace's end: each agent still unanswered is suspended (through the kill switch's suspension,
 * in this transaction, its pending approvals cancelled) or flagged, as the campaign was started with.
 */
async function close(deps: RecertDeadlineDeps, due: Campaign): Promise<boolean> {
  const { storage, audit, clock } = deps;
  const now = clock();
  const outcome = await writeTransaction(storage, async (trx) => {
    const campaign = await lockCampaign(trx, storage.dialect, due.tenantId, due.id);
    if (campaign.status !== 'escalated' || campaign.deadlineAt + campaign.graceMs > now) return undefined;
    const unanswered = (await campaignItems(trx, campaign.tenantId, campaign.id)).filter(
      (i) => i.status === 'escalated',
    );
    const events: AuditEventInput[] = [];
    const signals: Signal[] = [];
    const suspended: Agent[] = [];
    if (campaign.onNoResponse === 'suspend' && unanswered.length > 0) {
      const reason = `not recertified in campaign "${campaign.name}"`;
      // Approval requests before agent rows: the order a vote and a kill take them.
      const cancel = await cancelPendingApprovals(trx, storage.dialect, {
        tenantId: campaign.tenantId,
        agentIds: unanswered.map((i) => i.agentId),
        actor: RECERT_ACTOR,
        reason,
        now,
      });
      events.push(...cancel.events);
      signals.push(...cancel.signals);
      for (const item of [...unanswered].sort((a, b) => a.agentId.localeCompare(b.agentId))) {
        const agent = await findAgentForWrite(trx, storage.dialect, campaign.tenantId, item.agentId);
        if (!agent || (agent.status !== 'active' && agent.status !== 'pending')) continue;
        const suspension = await suspendLocked(trx, agent, RECERT_ACTOR, reason, now, {
          campaignId: campaign.id,
        });
        events.push(suspension.event);
        suspended.push(suspension.agent);
        signals.push({ type: 'agent.changed', tenantId: campaign.tenantId, agentId: agent.id });
      }
    }
    const resolution = campaign.onNoResponse === 'suspend' ? 'suspended' : 'flagged';
    await trx
      .updateTable('recert_items')
      .set({ status: resolution, resolved_at: now })
      .where('campaign_id', '=', campaign.id)
      .where('status', '=', 'escalated')
      .execute();
    await trx
      .updateTable('recert_campaigns')
      .set({ status: 'closed', closed_at: now })
      .where('id', '=', campaign.id)
      .execute();
    events.push({
      type: 'recert.close',
      actor: RECERT_ACTOR,
      subject: { type: 'recert_campaign', id: campaign.id },
      payload: {
        name: campaign.name,
        [resolution]: unanswered.map((i) => i.agentId),
        suspendedNow: suspended.map((a) => a.id),
      },
      at: now,
    });
    await audit.append(trx, campaign.tenantId, events);
    const people = await activeHumans(trx, campaign.tenantId, {
      ids: [...new Set(unanswered.map((i) => i.ownerId))],
      roles: ['security'],
    });
    return { campaign, unanswered, resolution, signals, people };
  });
  if (!outcome) return false;
  for (const signal of outcome.signals) await deps.signals.publish(signal);
  sendNotifications(
    deps,
    closeNotices(outcome.campaign, outcome.unanswered, outcome.resolution, outcome.people, now),
  );
  return true;
}

function closeNotices(
  campaign: Campaign,
  unanswered: readonly CampaignItem[],
  resolution: string,
  people: readonly HumanRef[],
  now: number,
): Notification[] {
  if (unanswered.length === 0) return [];
  return campaignNotices(
    'recert.close',
    campaign,
    people,
    (person) => {
      const theirs = unanswered.filter((i) => i.ownerId === person.id).length;
      return `Recertification "${campaign.name}" closed: ${theirs > 0 ? `${theirs} of your agents were` : `${unanswered.length} agent(s) were`} ${resolution}, not having been certified`;
    },
    () => ({ [resolution]: unanswered.map((i) => i.agentId) }),
    now,
    undefined,
    false,
  );
}

/** Security, or the admins when the tenant has nobody with the security role. */
async function securityOf(trx: Parameters<typeof activeHumans>[0], tenantId: string): Promise<HumanRef[]> {
  const security = await activeHumans(trx, tenantId, { roles: ['security'] });
  return security.length > 0 ? security : activeHumans(trx, tenantId, { roles: ['admin'] });
}
