import type { AuditActor } from '../audit/audit-log.js';
import type { Dialect, Trx } from '../storage/database.js';
import { criteriaOf } from './criteria.js';
import { changeTier, type TierChange, type TrustTrigger } from './tier-change.js';

export interface DemotionInput {
  readonly tenantId: string;
  readonly agentId: string;
  readonly trigger: Exclude<TrustTrigger, 'evidence'>;
  readonly actor: AuditActor;
  readonly reason: string;
  /** The incident the trigger recorded, in the same transaction. */
  readonly incidentId: string;
}

/**
 * Demotes an agent by one tier at once, in the transaction that recorded the incident behind it
 * (a critical incident, a hard budget overrun, a circuit-breaker trip, a rejected review), unless
 * the tenant turned automatic demotion off. The caller appends the returned events with its own
 * and, after commit, publishes the signals and sends the notices.
 */
export async function demoteFor(
  trx: Trx,
  dialect: Dialect,
  input: DemotionInput,
  now: number,
): Promise<TierChange | undefined> {
  const criteria = await criteriaOf(trx, input.tenantId);
  if (criteria.demotion === 'off') return undefined;
  return changeTier(
    trx,
    dialect,
    {
      tenantId: input.tenantId,
      agentId: input.agentId,
      direction: 'demote',
      trigger: input.trigger,
      actor: input.actor,
      reason: input.reason,
      evidence: { incidentId: input.incidentId },
    },
    now,
  );
}
