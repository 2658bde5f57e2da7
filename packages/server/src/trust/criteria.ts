import type { Kysely } from 'kysely';
import { type Static, Type } from 'typebox';
import type { TrustTier } from '../agents/agent.js';
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { invalidField } from '../errors.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { Database } from '../storage/schema.js';

/** The tiers an agent can be promoted into, in order: sandbox -> monitored -> trusted. */
export const PROMOTION_TARGETS = ['monitored', 'trusted'] as const;
export type PromotionTarget = (typeof PROMOTION_TARGETS)[number];

/** What an agent must show, in its current tier, to be promoted into the next one. */
export const TierCriteriaSchema = Type.Object(
  {
    minDaysInTier: Type.Integer({
      minimum: 0,
      maximum: 3650,
      description: 'Whole days in the current tier.',
    }),
    maxCriticalIncidents: Type.Integer({
      minimum: 0,
      maximum: 1000,
      description: 'Critical incidents allowed in the current tier (0: none).',
    }),
    withinBudgetDaysPercent: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Share of the active days in the tier that stayed within budget.',
    }),
    minSuccessfulActions: Type.Integer({
      minimum: 0,
      maximum: 100_000_000,
      description: 'Allowed calls whose reported outcome succeeded.',
    }),
    maxFailureRatePercent: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Denied, rejected and failed actions must stay strictly below this share.',
    }),
  },
  { additionalProperties: false },
);
export type TierCriteria = Static<typeof TierCriteriaSchema>;

export const TrustCriteriaSchema = Type.Object(
  {
    promotion: Type.Enum(['approval', 'automatic', 'off'], {
      description:
        'approval: a request to the owner, then security; automatic: promoted by the sweep; off: never promoted by evidence.',
    }),
    demotion: Type.Enum(['automatic', 'off'], {
      description:
        'automatic: one tier down at once on a critical incident, overrun, breaker trip or rejected review.',
    }),
    reaskAfterDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      description: 'After a promotion request is denied or expires, days before the sweep asks again.',
    }),
    promoteTo: Type.Object(
      { monitored: TierCriteriaSchema, trusted: TierCriteriaSchema },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type TrustCriteria = Static<typeof TrustCriteriaSchema>;

/**
 * The defaults, from the three-tier model teams described: at least 30 days in the tier, zero
 * critical incidents, within budget on 95 % of days, and a record of successful governed actions
 * with few failures (100 below 2 % to become monitored, 1,000 below 1 % to become trusted).
 */
export const DEFAULT_CRITERIA: TrustCriteria = {
  promotion: 'approval',
  demotion: 'automatic',
  reaskAfterDays: 7,
  promoteTo: {
    monitored: {
      minDaysInTier: 30,
      maxCriticalIncidents: 0,
      withinBudgetDaysPercent: 95,
      minSuccessfulActions: 100,
      maxFailureRatePercent: 2,
    },
    trusted: {
      minDaysInTier: 30,
      maxCriticalIncidents: 0,
      withinBudgetDaysPercent: 95,
      minSuccessfulActions: 1000,
      maxFailureRatePercent: 1,
    },
  },
};

/** The tier above `tier`, or null at the top. */
export function nextTier(tier: TrustTier): PromotionTarget | null {
  if (tier === 'sandbox') return 'monitored';
  if (tier === 'monitored') return 'trusted';
  return null;
}

/** The tier below `tier`, or null at the bottom. */
export function tierBelow(tier: TrustTier): TrustTier | null {
  if (tier === 'trusted') return 'monitored';
  if (tier === 'monitored') return 'sandbox';
  return null;
}

/**
 * Checks what the schema cannot: a failure-rate ceiling of 0 could never be met (the rate must stay
 * strictly below it), so it is refused rather than silently blocking every promotion.
 */
export function checkCriteria(criteria: TrustCriteria): void {
  for (const target of PROMOTION_TARGETS) {
    if (criteria.promoteTo[target].maxFailureRatePercent <= 0) {
      throw invalidField(
        `body.promoteTo.${target}.maxFailureRatePercent`,
        'must be above 0: the failure rate must stay strictly below it',
      );
    }
  }
}

/** A tenant's criteria: what it stored, else the defaults. */
export async function criteriaOf(db: Kysely<Database>, tenantId: string): Promise<TrustCriteria> {
  const row = await db
    .selectFrom('trust_criteria')
    .select('criteria')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.criteria) as TrustCriteria) : DEFAULT_CRITERIA;
}

/** Replaces a tenant's criteria, audited with what they were and what they are now. */
export async function saveCriteria(
  deps: { readonly storage: Storage; readonly audit: AuditLog; readonly clock: () => number },
  tenantId: string,
  actor: AuditActor,
  criteria: TrustCriteria,
): Promise<TrustCriteria> {
  checkCriteria(criteria);
  const now = deps.clock();
  await writeTransaction(deps.storage, async (trx) => {
    const before = await criteriaOf(trx, tenantId);
    const row = {
      tenant_id: tenantId,
      criteria: JSON.stringify(criteria),
      updated_at: now,
      updated_by: `${actor.type}:${actor.id}`,
    };
    await trx
      .insertInto('trust_criteria')
      .values(row)
      .onConflict((oc) =>
        oc.column('tenant_id').doUpdateSet({
          criteria: row.criteria,
          updated_at: row.updated_at,
          updated_by: row.updated_by,
        }),
      )
      .execute();
    await deps.audit.append(trx, tenantId, [
      {
        type: 'trust.criteria_update',
        actor,
        subject: { type: 'tenant', id: tenantId },
        payload: { from: before, to: criteria },
        at: now,
      },
    ]);
  });
  return criteria;
}
