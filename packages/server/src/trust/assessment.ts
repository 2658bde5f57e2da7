import type { TrustTier } from '../agents/agent.js';
import { nextTier, type PromotionTarget, type TierCriteria, type TrustCriteria } from './criteria.js';
import { DAY_MS, failureRatePercent, type TrustEvidence, withinBudgetPercent } from './evidence.js';

export type CriterionName =
  | 'days_in_tier'
  | 'critical_incidents'
  | 'within_budget'
  | 'successful_actions'
  | 'failure_rate';

/** One criterion as a person reads it: what is required, what the agent shows, what it still needs. */
export interface CriterionCheck {
  readonly name: CriterionName;
  readonly met: boolean;
  readonly required: string;
  readonly actual: string;
  /** What is still missing, in words; null once met. */
  readonly needs: string | null;
}

/** Where an agent stands: the next tier and each of its criteria, met or not. */
export interface Assessment {
  readonly tier: TrustTier;
  readonly nextTier: PromotionTarget | null;
  readonly eligible: boolean;
  readonly checks: readonly CriterionCheck[];
}

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Judges the evidence against the criteria of the tier above. Pure: the same figures give the
 * same answer on every node, and the explain route shows exactly what the sweep decided on.
 */
export function assess(tier: TrustTier, criteria: TrustCriteria, evidence: TrustEvidence): Assessment {
  const target = nextTier(tier);
  if (target === null) return { tier, nextTier: null, eligible: false, checks: [] };
  const checks = checksFor(criteria.promoteTo[target], evidence);
  return { tier, nextTier: target, eligible: checks.every((c) => c.met), checks };
}

function checksFor(c: TierCriteria, e: TrustEvidence): CriterionCheck[] {
  const eligibleAt = new Date(e.since + c.minDaysInTier * DAY_MS).toISOString();
  const budgetShare = withinBudgetPercent(e);
  const failureRate = failureRatePercent(e);
  const judged = e.successes + e.failures + e.denied + e.rejectedReviews;
  const budgetMet = e.activeDays > 0 && budgetShare >= c.withinBudgetDaysPercent;
  const rateMet = judged > 0 && failureRate < c.maxFailureRatePercent;
  return [
    {
      name: 'days_in_tier',
      met: e.daysInTier >= c.minDaysInTier,
      required: `at least ${c.minDaysInTier} days in the tier`,
      actual: `${e.daysInTier} days (since ${new Date(e.since).toISOString()})`,
      needs:
        e.daysInTier >= c.minDaysInTier
          ? null
          : `${c.minDaysInTier - e.daysInTier} more days (not before ${eligibleAt})`,
    },
    {
      name: 'critical_incidents',
      met: e.criticalIncidents <= c.maxCriticalIncidents,
      required: `at most ${c.maxCriticalIncidents} critical incidents in the tier`,
      actual: `${e.criticalIncidents} critical incidents`,
      needs:
        e.criticalIncidents <= c.maxCriticalIncidents
          ? null
          : 'too many critical incidents in this tier: the count starts again only when its time in the tier does',
    },
    {
      name: 'within_budget',
      met: budgetMet,
      required: `within budget on at least ${c.withinBudgetDaysPercent}% of active days`,
      actual: `${round(budgetShare)}% (${e.activeDays - e.overBudgetDays} of ${e.activeDays} active days)`,
      needs: budgetMet
        ? null
        : e.activeDays === 0
          ? 'at least one active day (none yet)'
          : budgetNeeds(daysWithinBudgetNeeded(e, c.withinBudgetDaysPercent)),
    },
    {
      name: 'successful_actions',
      met: e.successes >= c.minSuccessfulActions,
      required: `at least ${c.minSuccessfulActions} successful governed actions`,
      actual: `${e.successes} successful actions`,
      needs:
        e.successes >= c.minSuccessfulActions
          ? null
          : `${c.minSuccessfulActions - e.successes} more successful actions`,
    },
    {
      name: 'failure_rate',
      met: rateMet,
      required: `denied, rejected or failed below ${c.maxFailureRatePercent}% of actions`,
      actual: `${round(failureRate)}% (${e.denied} denied, ${e.rejectedReviews} rejected, ${e.failures} failed of ${judged})`,
      needs: rateMet
        ? null
        : judged === 0
          ? 'at least one judged action (none yet)'
          : `${successesNeeded(e, c.maxFailureRatePercent)} more successful actions without a failure`,
    },
  ];
}

function budgetNeeds(days: number): string {
  return Number.isFinite(days)
    ? `${days} more active days within budget`
    : 'cannot be met in this tier: every active day must be within budget and one was not';
}

/** Clean active days still needed to bring the within-budget share to `percent`. */
function daysWithinBudgetNeeded(e: TrustEvidence, percent: number): number {
  if (percent >= 100) return Number.POSITIVE_INFINITY;
  // (active + n - over) / (active + n) >= p  <=>  n >= (over - (1 - p) * active) / (1 - p)
  const p = percent / 100;
  return Math.max(1, Math.ceil((e.overBudgetDays - (1 - p) * e.activeDays) / (1 - p)));
}

/** Successes still needed (with no more failures) to bring the failure rate strictly below `percent`. */
function successesNeeded(e: TrustEvidence, percent: number): number {
  const bad = e.failures + e.denied + e.rejectedReviews;
  const judged = e.successes + bad;
  // bad / (judged + n) < p  <=>  n > bad / p - judged
  const n = Math.floor((bad * 100) / percent - judged) + 1;
  return Math.max(1, n);
}
