import { csvRow } from '../audit/audit-csv.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { notFound } from '../errors.js';
import { toIso } from '../http/schemas.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { type Campaign, type CampaignItem, progressOf } from './campaign.js';
import { campaignItems, findCampaign } from './recert-store.js';

export type ExportFormat = 'json' | 'csv';

const CSV_COLUMNS = [
  'campaign_id',
  'campaign',
  'agent_id',
  'agent',
  'owner_id',
  'owner_email',
  'status',
  'decision',
  'comment',
  'certified_by',
  'certified_at',
  'escalated_at',
  'resolved_at',
  'unused_rules',
  'partly_used_rules',
  'unused_grants',
  'removed_rules',
  'revoked_grants',
] as const;

/**
 * A campaign as evidence: the campaign, every agent's answer (who, when, what, with the drift the
 * owner saw), and the campaign's audit events by sequence number and leaf hash, so each can be
 * proven against a signed checkpoint (`warden audit verify`). The export itself is audited.
 */
export class RecertExporter {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly audit: AuditLog;
      readonly clock: () => number;
    },
  ) {}

  async export(principal: HumanPrincipal, campaignId: string, format: ExportFormat): Promise<string> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    const campaign = await findCampaign(storage.db, tenantId, campaignId);
    if (!campaign) throw notFound('campaign', campaignId);
    const items = await campaignItems(storage.db, tenantId, campaignId);
    const names = await this.names(tenantId, items);
    const now = clock();
    // Recorded before it is built, so the export lists its own event among the campaign's.
    await writeTransaction(storage, (trx) =>
      audit.append(trx, tenantId, [
        {
          type: 'recert.export',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'recert_campaign', id: campaignId },
          payload: { format, items: items.length },
          at: now,
        },
      ]),
    );
    if (format === 'csv') return csv(campaign, items, names);
    const events = await storage.db
      .selectFrom('audit_events')
      .select(['seq', 'id', 'type', 'created_at', 'actor_type', 'actor_id', 'leaf_hash'])
      .where('tenant_id', '=', tenantId)
      .where('subject_type', '=', 'recert_campaign')
      .where('subject_id', '=', campaignId)
      .orderBy('seq')
      .execute();
    return `${JSON.stringify(
      {
        exportedAt: toIso(now),
        exportedBy: principal.humanId,
        campaign: campaignJson(campaign),
        progress: progressOf(items),
        items: items.map((item) => ({
          ...itemJson(item),
          agent: names.agents.get(item.agentId) ?? null,
          ownerEmail: names.owners.get(item.ownerId) ?? null,
        })),
        auditEvents: events.map((e) => ({
          seq: Number(e.seq),
          id: e.id,
          type: e.type,
          createdAt: toIso(Number(e.created_at)),
          actor: `${e.actor_type}:${e.actor_id}`,
          leafHash: e.leaf_hash,
        })),
      },
      null,
      2,
    )}\n`;
  }

  private async names(tenantId: string, items: readonly CampaignItem[]) {
    const db = this.deps.storage.db;
    const agentIds = items.map((i) => i.agentId);
    const ownerIds = [...new Set(items.map((i) => i.ownerId))];
    const agents = agentIds.length
      ? await db
          .selectFrom('agents')
          .select(['id', 'name'])
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', agentIds)
          .execute()
      : [];
    const owners = ownerIds.length
      ? await db
          .selectFrom('humans')
          .select(['id', 'email'])
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', ownerIds)
          .execute()
      : [];
    return {
      agents: new Map(agents.map((a) => [a.id, a.name])),
      owners: new Map(owners.map((o) => [o.id, o.email])),
    };
  }
}

export function campaignJson(campaign: Campaign) {
  return {
    id: campaign.id,
    name: campaign.name,
    status: campaign.status,
    scope: {
      ...(campaign.scope.risk ? { risk: campaign.scope.risk } : {}),
      ...(campaign.scope.ownerId ? { owner: campaign.scope.ownerId } : {}),
    },
    deadline: toIso(campaign.deadlineAt),
    graceSeconds: Math.round(campaign.graceMs / 1_000),
    onNoResponse: campaign.onNoResponse,
    driftDays: campaign.driftDays,
    createdBy: campaign.createdBy,
    createdAt: toIso(campaign.createdAt),
    escalatedAt: toIso(campaign.escalatedAt),
    closedAt: toIso(campaign.closedAt),
  };
}

export function itemJson(item: CampaignItem) {
  return {
    agentId: item.agentId,
    ownerId: item.ownerId,
    status: item.status,
    decision: item.decision,
    comment: item.comment,
    reduction: item.reduction,
    certifiedBy: item.certifiedBy,
    certifiedAt: toIso(item.certifiedAt),
    escalatedAt: toIso(item.escalatedAt),
    resolvedAt: toIso(item.resolvedAt),
    drift: item.drift,
  };
}

function csv(
  campaign: Campaign,
  items: readonly CampaignItem[],
  names: { agents: Map<string, string>; owners: Map<string, string> },
): string {
  const rows = items.map((item) => [
    campaign.id,
    campaign.name,
    item.agentId,
    names.agents.get(item.agentId) ?? '',
    item.ownerId,
    names.owners.get(item.ownerId) ?? '',
    item.status,
    item.decision ?? '',
    item.comment ?? '',
    item.certifiedBy ?? '',
    toIso(item.certifiedAt) ?? '',
    toIso(item.escalatedAt) ?? '',
    toIso(item.resolvedAt) ?? '',
    item.drift.unusedRules.join(' '),
    item.drift.partlyUsedRules.join(' '),
    item.drift.unusedGrants.join(' '),
    (item.reduction?.rules ?? []).map((r) => r.id).join(' '),
    (item.reduction?.revokedGrants ?? []).join(' '),
  ]);
  return [[...CSV_COLUMNS], ...rows].map(csvRow).join('');
}
