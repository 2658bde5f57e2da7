import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/agent.js';
import { isGuardian } from '../agents/agent-access.js';
import type { AgentLifecycle } from '../agents/agent-lifecycle.js';
import { sendNotifications } from '../agents/agent-notify.js';
import { findAgent } from '../agents/agent-store.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import type { AgentDrift } from '../drift/agent-drift.js';
import type { DriftService } from '../drift/drift-service.js';
import { forbidden, invalidField, notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import type { Notifier } from '../notify/notifier.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { activeHumans } from '../tenants/active-humans.js';
import {
  ANSWERED,
  type Campaign,
  type CampaignItem,
  type CampaignScope,
  type CertifyDecision,
  type DriftSnapshot,
  itemFromRow,
  progressOf,
  WAITING,
} from './campaign.js';
import { campaignNotices } from './recert-notices.js';
import { readSettings } from './recert-settings.js';
import {
  campaignItems,
  findCampaign,
  findItem,
  listCampaigns,
  lockCampaign,
  waitingCount,
} from './recert-store.js';
import { planReduction, revokeGrants } from './reduction.js';

export interface RecertDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly drift: DriftService;
  readonly lifecycle: AgentLifecycle;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
  readonly publicUrl: () => string;
}

export interface StartCampaign {
  readonly name: string;
  readonly deadlineAt: number;
  readonly scope: CampaignScope;
  readonly driftDays: number;
}

export interface Certification {
  readonly decision: CertifyDecision;
  readonly comment?: string;
  /** For reduce: what to take away (rule ids of the agent's policies, its temporary grants' ids). */
  readonly remove?: { readonly rules?: readonly string[]; readonly grants?: readonly string[] };
}

const ITEM_INSERT_CHUNK = 100;

/**
 * Recertification campaigns: an admin or security starts one over a scope of agents with a
 * deadline; each agent's owner (or an admin or security) answers keep, reduce or retire, with the
 * agent's drift at hand. Every change is one transaction with its audit event, taken after the
 * campaign row's lock, so the last answer completes the campaign exactly once.
 */
export class RecertService {
  constructor(private readonly deps: RecertDeps) {}

  async start(
    principal: HumanPrincipal,
    input: StartCampaign,
  ): Promise<{ campaign: Campaign; items: CampaignItem[] }> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    const now = clock();
    if (input.deadlineAt <= now) throw invalidField('body.deadline', 'must be in the future');
    if (input.scope.ownerId !== undefined) {
      const [owner] = await activeHumans(storage.db, tenantId, { ids: [input.scope.ownerId] });
      if (!owner)
        throw invalidField('body.scope.owner', `no active human ${input.scope.ownerId} in this tenant`);
    }
    const report = await this.deps.drift.report(tenantId, input.scope, input.driftDays);
    if (report.agents.length === 0) {
      throw new WardenError(
        'conflict',
        `a campaign over no agents is refused: ${describeScope(input.scope)} matches no agent that is not retired`,
        { field: 'body.scope' },
      );
    }
    const outcome = await writeTransaction(storage, async (trx) => {
      const settings = await readSettings(trx, tenantId);
      const campaign: Campaign = {
        id: newId('rcp', now),
        tenantId,
        name: input.name,
        status: 'open',
        scope: input.scope,
        deadlineAt: input.deadlineAt,
        graceMs: settings.graceSeconds * 1_000,
        onNoResponse: settings.onNoResponse,
        driftDays: input.driftDays,
        createdBy: `human:${principal.humanId}`,
        createdAt: now,
        escalatedAt: null,
        closedAt: null,
      };
      await trx
        .insertInto('recert_campaigns')
        .values({
          tenant_id: tenantId,
          id: campaign.id,
          name: campaign.name,
          status: campaign.status,
          scope: JSON.stringify(campaign.scope),
          deadline_at: campaign.deadlineAt,
          grace_ms: campaign.graceMs,
          on_no_response: campaign.onNoResponse,
          drift_days: campaign.driftDays,
          created_by: campaign.createdBy,
          created_at: now,
          escalated_at: null,
          closed_at: null,
        })
        .execute();
      const rows = report.agents.map((drift) => ({
        tenant_id: tenantId,
        campaign_id: campaign.id,
        agent_id: drift.agentId,
        owner_id: drift.ownerId,
        status: 'pending',
        drift: JSON.stringify(snapshotOf(drift)),
        decision: null,
        comment: null,
        reduction: null,
        certified_by: null,
        certified_at: null,
        escalated_at: null,
        resolved_at: null,
      }));
      for (let i = 0; i < rows.length; i += ITEM_INSERT_CHUNK) {
        await trx
          .insertInto('recert_items')
          .values(rows.slice(i, i + ITEM_INSERT_CHUNK))
          .execute();
      }
      await audit.append(trx, tenantId, [
        {
          type: 'recert.start',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'recert_campaign', id: campaign.id },
          payload: {
            name: campaign.name,
            scope: { ...campaign.scope },
            deadline: new Date(campaign.deadlineAt).toISOString(),
            graceSeconds: settings.graceSeconds,
            onNoResponse: campaign.onNoResponse,
            driftDays: campaign.driftDays,
            policyVersion: report.policyVersion,
            agents: report.agents.map((a) => a.agentId),
          },
          at: now,
        },
      ]);
      const owners = await activeHumans(trx, tenantId, {
        ids: [...new Set(report.agents.map((a) => a.ownerId))],
      });
      return { campaign, items: rows.map(itemFromRow), owners };
    });
    const countOf = (ownerId: string) => outcome.items.filter((item) => item.ownerId === ownerId).length;
    sendNotifications(
      this.deps,
      campaignNotices(
        'recert.request',
        outcome.campaign,
        outcome.owners,
        (owner) =>
          `Recertification "${outcome.campaign.name}": certify your ${countOf(owner.id)} agent(s) (keep, reduce or retire) by ${new Date(outcome.campaign.deadlineAt).toISOString()}`,
        (owner) => ({ agents: countOf(owner.id) }),
        now,
        this.link(outcome.campaign.id),
        false,
      ),
    );
    return { campaign: outcome.campaign, items: outcome.items };
  }

  async list(principal: HumanPrincipal, limit: number) {
    const campaigns = await listCampaigns(this.deps.storage.db, principal.tenantId, limit);
    return Promise.all(
      campaigns.map(async (campaign) => ({
        campaign,
        progress: progressOf(await this.visibleItems(principal, campaign)),
      })),
    );
  }

  /** A campaign, its progress and its items (an owner who is not admin, security or auditor sees only theirs). */
  async get(principal: HumanPrincipal, campaignId: string) {
    const campaign = await findCampaign(this.deps.storage.db, principal.tenantId, campaignId);
    if (!campaign) throw notFound('campaign', campaignId);
    const items = await this.visibleItems(principal, campaign);
    return { campaign, progress: progressOf(items), items };
  }

  async certify(
    principal: HumanPrincipal,
    campaignId: string,
    agentId: string,
    input: Certification,
  ): Promise<{ campaign: Campaign; item: CampaignItem }> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    const campaign = await findCampaign(storage.db, tenantId, campaignId);
    if (!campaign) throw notFound('campaign', campaignId);
    const agent = await findAgent(storage.db, tenantId, agentId);
    const item = await findItem(storage.db, tenantId, campaignId, agentId);
    if (!item || !agent) throw notFound('agent', `${agentId} in campaign ${campaignId}`);
    if (!isGuardian(principal) && principal.humanId !== item.ownerId && principal.humanId !== agent.ownerId) {
      throw forbidden(`only the owner of agent ${agent.name}, an admin or security may certify it`);
    }
    assertOpen(campaign, item, agent);
    if (input.decision !== 'reduce' && input.remove !== undefined) {
      throw invalidField('body.remove', 'is only for the decision reduce');
    }
    const plan =
      input.decision === 'reduce'
        ? planReduction(
            (await this.deps.drift.report(tenantId, { agentId }, campaign.driftDays)).agents[0],
            input.remove,
          )
        : undefined;
    // Retiring goes through the agent lifecycle (its rules, its audit event, its keys revoked) first;
    // an agent retired meanwhile by someone else needs no second retirement.
    if (input.decision === 'retire' && agent.status !== 'retired') {
      await this.deps.lifecycle.transition(
        principal,
        agentId,
        'retire',
        `recertification "${campaign.name}"${input.comment ? `: ${input.comment}` : ''}`,
      );
    }

    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const locked = await lockCampaign(trx, storage.dialect, tenantId, campaignId);
      const current = (await findItem(trx, tenantId, campaignId, agentId)) as CampaignItem;
      assertOpen(locked, current, agent);
      const events: AuditEventInput[] = [];
      const revoked = plan
        ? await revokeGrants(trx, tenantId, agentId, plan.grants, principal, now)
        : undefined;
      if (revoked) events.push(...revoked.events);
      const reduction = plan ? { rules: plan.rules, revokedGrants: revoked?.ids ?? [] } : null;
      const status = ANSWERED[input.decision];
      await trx
        .updateTable('recert_items')
        .set({
          status,
          decision: input.decision,
          comment: input.comment ?? null,
          reduction: reduction ? JSON.stringify(reduction) : null,
          certified_by: principal.humanId,
          certified_at: now,
        })
        .where('campaign_id', '=', campaignId)
        .where('agent_id', '=', agentId)
        .execute();
      events.push({
        type: 'recert.certify',
        actor: { type: 'human', id: principal.humanId },
        subject: { type: 'recert_campaign', id: campaignId },
        payload: {
          agentId,
          agent: agent.name,
          decision: input.decision,
          comment: input.comment ?? null,
          ...(reduction
            ? {
                reduction: {
                  rules: reduction.rules.map((r) => ({ ...r })),
                  revokedGrants: [...reduction.revokedGrants],
                },
              }
            : {}),
        },
        at: now,
      });
      let next = locked;
      if ((await waitingCount(trx, campaignId)) === 0) {
        next = { ...locked, status: 'completed', closedAt: now };
        await trx
          .updateTable('recert_campaigns')
          .set({ status: 'completed', closed_at: now })
          .where('id', '=', campaignId)
          .execute();
        events.push({
          type: 'recert.complete',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'recert_campaign', id: campaignId },
          payload: { name: locked.name, answeredBy: 'owners' },
          at: now,
        });
      }
      await audit.append(trx, tenantId, events);
      const item: CampaignItem = {
        ...current,
        status,
        decision: input.decision,
        comment: input.comment ?? null,
        reduction,
        certifiedBy: principal.humanId,
        certifiedAt: now,
      };
      return { campaign: next, item, revokedAny: (revoked?.ids.length ?? 0) > 0 };
    });
    if (outcome.revokedAny) await this.deps.signals.publish({ type: 'grants.changed', tenantId, agentId });
    if (plan && plan.rules.length > 0) await this.tellPolicyOwners(outcome.campaign, agent, plan.rules, now);
    return { campaign: outcome.campaign, item: outcome.item };
  }

  /** A reduction's rule changes go to the policies' owners (found by e-mail), who change the files. */
  private async tellPolicyOwners(
    campaign: Campaign,
    agent: Agent,
    rules: readonly { policyOwner: string; id: string; change: string }[],
    now: number,
  ): Promise<void> {
    const emails = [...new Set(rules.map((r) => r.policyOwner))];
    const humans = await this.deps.storage.db
      .selectFrom('humans')
      .select(['id', 'email', 'name'])
      .where('tenant_id', '=', campaign.tenantId)
      .where('status', '=', 'active')
      .where('email', 'in', emails)
      .execute();
    sendNotifications(
      this.deps,
      campaignNotices(
        'recert.reduce',
        campaign,
        humans,
        (human) =>
          `Recertification "${campaign.name}": the owner of agent ${agent.name} asked to remove ${rules
            .filter((r) => r.policyOwner === human.email)
            .map((r) => `rule '${r.id}'`)
            .join(', ')} from it`,
        (human) => ({
          agentId: agent.id,
          changes: rules
            .filter((r) => r.policyOwner === human.email)
            .map((r) => ({ rule: r.id, change: r.change })),
        }),
        now,
        this.link(campaign.id),
        false,
      ),
    );
  }

  private visibleItems(principal: HumanPrincipal, campaign: Campaign): Promise<CampaignItem[]> {
    const everyItem = isGuardian(principal) || principal.roles.includes('auditor');
    return campaignItems(
      this.deps.storage.db,
      principal.tenantId,
      campaign.id,
      everyItem ? undefined : principal.humanId,
    );
  }

  private link(campaignId: string): string | undefined {
    const base = this.deps.publicUrl();
    return base ? `${base}/v1/recert/campaigns/${campaignId}` : undefined;
  }
}

function assertOpen(campaign: Campaign, item: CampaignItem, agent: Agent): void {
  if (campaign.status === 'closed' || campaign.status === 'completed') {
    throw new WardenError(
      'conflict',
      `campaign ${campaign.name} is ${campaign.status}; nothing more can be certified`,
      {
        status: campaign.status,
      },
    );
  }
  if (!WAITING.includes(item.status)) {
    throw new WardenError(
      'conflict',
      `agent ${agent.name} was already certified in this campaign (${item.status}${item.certifiedBy ? ` by ${item.certifiedBy}` : ''})`,
      { status: item.status },
    );
  }
}

export function describeScope(scope: CampaignScope): string {
  const parts = [
    ...(scope.risk ? [`risk class ${scope.risk}`] : []),
    ...(scope.ownerId ? [`owner ${scope.ownerId}`] : []),
  ];
  return parts.length === 0 ? 'the tenant' : parts.join(' and ');
}

function snapshotOf(drift: AgentDrift): DriftSnapshot {
  return {
    rules: drift.rules.length,
    grants: drift.grants.length,
    unusedRules: drift.rules.filter((r) => r.status === 'unused').map((r) => r.id),
    partlyUsedRules: drift.rules.filter((r) => r.status === 'partly_used').map((r) => r.id),
    unusedGrants: drift.grants.filter((g) => g.status === 'unused').map((g) => g.id),
    toolsAllowed: drift.tools.allowed.length,
    toolsUsed: drift.tools.used.length,
  };
}
