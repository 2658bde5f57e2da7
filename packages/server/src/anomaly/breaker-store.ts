import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

/**
 * When a human last reset the agent's breaker, from its audit event (type, subject and time are
 * kept in the clear and the subject is indexed). Read only when the breaker is about to trip.
 */
export async function lastBreakerReset(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
): Promise<number | null> {
  const row = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.max<number | null>('created_at').as('at'))
    .where('tenant_id', '=', tenantId)
    .where('subject_type', '=', 'agent')
    .where('subject_id', '=', agentId)
    .where('type', '=', 'agent.breaker_reset')
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}
