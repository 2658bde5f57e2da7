import type { Kysely } from 'kysely';
import type { Agent } from '../agents/agent.js';
import type { Trx } from '../storage/database.js';
import type { Database } from '../storage/schema.js';

/** Where an agent stands in its tier: the start of its evidence window and its last evaluation. */
export interface TrustStanding {
  readonly tierSince: number;
  readonly checkedAt: number | null;
}

/** An agent without a row has held its tier since it was created and was never evaluated. */
export async function standingOf(
  db: Kysely<Database>,
  agent: Pick<Agent, 'tenantId' | 'id' | 'createdAt'>,
): Promise<TrustStanding> {
  const row = await db
    .selectFrom('agent_trust')
    .select(['tier_since', 'checked_at'])
    .where('tenant_id', '=', agent.tenantId)
    .where('agent_id', '=', agent.id)
    .executeTakeFirst();
  if (!row) return { tierSince: agent.createdAt, checkedAt: null };
  return {
    tierSince: Number(row.tier_since),
    checkedAt: row.checked_at === null ? null : Number(row.checked_at),
  };
}

/** Writes an agent's standing (inside the transaction that holds its agent row). */
export async function saveStanding(trx: Trx, tenantId: string, agentId: string, standing: TrustStanding) {
  await trx
    .insertInto('agent_trust')
    .values({
      tenant_id: tenantId,
      agent_id: agentId,
      tier_since: standing.tierSince,
      checked_at: standing.checkedAt,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'agent_id']).doUpdateSet({
        tier_since: standing.tierSince,
        checked_at: standing.checkedAt,
      }),
    )
    .execute();
}

/** The agent's time in its tier starts now (a tier set by hand); its last evaluation is kept. */
export async function restartTierWindow(trx: Trx, tenantId: string, agentId: string, now: number) {
  await trx
    .insertInto('agent_trust')
    .values({ tenant_id: tenantId, agent_id: agentId, tier_since: now, checked_at: null })
    .onConflict((oc) => oc.columns(['tenant_id', 'agent_id']).doUpdateSet({ tier_since: now }))
    .execute();
}
