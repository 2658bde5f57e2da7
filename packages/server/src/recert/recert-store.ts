import type { Kysely } from 'kysely';
import { notFound } from '../errors.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { type Campaign, type CampaignItem, campaignFromRow, itemFromRow, WAITING } from './campaign.js';

type Db = Kysely<Database>;

export async function findCampaign(db: Db, tenantId: string, id: string): Promise<Campaign | undefined> {
  const row = await db
    .selectFrom('recert_campaigns')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? campaignFromRow(row) : undefined;
}

/**
 * The campaign row, locked on PostgreSQL (SQLite serialises writers): every write to a campaign or
 * its items takes it first, so a certification and the deadline never interleave, and the last
 * answer sees every other one.
 */
export async function lockCampaign(
  trx: Trx,
  dialect: Dialect,
  tenantId: string,
  id: string,
): Promise<Campaign> {
  const row = await trx
    .selectFrom('recert_campaigns')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$if(dialect === 'postgres', (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!row) throw notFound('campaign', id);
  return campaignFromRow(row);
}

export async function campaignItems(
  db: Db,
  tenantId: string,
  campaignId: string,
  ownerId?: string,
): Promise<CampaignItem[]> {
  let query = db
    .selectFrom('recert_items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('campaign_id', '=', campaignId);
  if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
  return (await query.orderBy('agent_id').execute()).map(itemFromRow);
}

export async function findItem(
  db: Db,
  tenantId: string,
  campaignId: string,
  agentId: string,
): Promise<CampaignItem | undefined> {
  const row = await db
    .selectFrom('recert_items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('campaign_id', '=', campaignId)
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  return row ? itemFromRow(row) : undefined;
}

/** How many items of a campaign still wait for an answer (pending or escalated). */
export async function waitingCount(db: Db, campaignId: string): Promise<number> {
  const row = await db
    .selectFrom('recert_items')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', [...WAITING])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listCampaigns(db: Db, tenantId: string, limit: number): Promise<Campaign[]> {
  const rows = await db
    .selectFrom('recert_campaigns')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(campaignFromRow);
}

/** Campaigns whose deadline (open) or grace (escalated) has passed, across tenants. */
export async function dueCampaigns(db: Db, now: number, limit: number): Promise<Campaign[]> {
  const rows = await db
    .selectFrom('recert_campaigns')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'open'), eb('deadline_at', '<=', now)]),
        eb.and([eb('status', '=', 'escalated'), eb(eb('deadline_at', '+', eb.ref('grace_ms')), '<=', now)]),
      ]),
    )
    .orderBy('deadline_at')
    .limit(limit)
    .execute();
  return rows.map(campaignFromRow);
}
