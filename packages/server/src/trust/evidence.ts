import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/schema.js';

export const DAY_MS = 86_400_000;

/**
 * Denies that say nothing about the agent's conduct: the tenant or the agent could not act at all,
 * or Warden itself could not decide. They count neither for nor against a promotion.
 */
const NEUTRAL_DENY_CODES = [
  'tenant_frozen',
  'no_policy',
  'limits_unavailable',
  'agent_suspended',
  'agent_pending',
  'agent_retired',
] as const;

/** Incident kinds that mark the day they were recorded on as over budget. */
const BUDGET_INCIDENT_KINDS = ['budget_exceeded', 'budget_overrun'] as const;

/** What Warden recorded about an agent since it entered its tier: the figures the criteria read. */
export interface TrustEvidence {
  readonly since: number;
  readonly now: number;
  /** Whole days since `since`. */
  readonly daysInTier: number;
  readonly criticalIncidents: number;
  /** UTC days in the window on which the agent made at least one governed call. */
  readonly activeDays: number;
  /** Active days on which a hard budget refused one of its calls or a budget incident was recorded. */
  readonly overBudgetDays: number;
  /** Allowed calls whose reported outcome succeeded. */
  readonly successes: number;
  /** Allowed calls whose reported outcome failed. */
  readonly failures: number;
  /** Calls denied for the agent's conduct (policy, budgets, limits, breaker, approvals). */
  readonly denied: number;
  /** Reviews (before, after or sampled) a human rejected. */
  readonly rejectedReviews: number;
}

/** The share of judged actions that were denied, rejected or failed, in percent (0 with none). */
export function failureRatePercent(e: TrustEvidence): number {
  const bad = e.failures + e.denied + e.rejectedReviews;
  const judged = e.successes + bad;
  return judged === 0 ? 0 : (bad * 100) / judged;
}

/** The share of active days within budget, in percent (0 with no active day). */
export function withinBudgetPercent(e: TrustEvidence): number {
  return e.activeDays === 0 ? 0 : ((e.activeDays - e.overBudgetDays) * 100) / e.activeDays;
}

/**
 * Reads the evidence from what Warden keeps anyway: decisions (with their outcomes), approval
 * requests and incidents, each through its (tenant, agent, created_at) index. A day is a UTC day.
 */
export async function gatherEvidence(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
  since: number,
  now: number,
): Promise<TrustEvidence> {
  const [days, actions, rejected, incidents] = await Promise.all([
    decisionDays(db, tenantId, agentId, since),
    actionCounts(db, tenantId, agentId, since),
    db
      .selectFrom('approval_requests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .where('created_at', '>=', since)
      .where('kind', '=', 'action')
      .where('status', '=', 'denied')
      .executeTakeFirst(),
    db
      .selectFrom('incidents')
      .select(['kind', 'severity', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .where('created_at', '>=', since)
      .execute(),
  ]);
  const budgetIncidentDays = new Set(
    incidents
      .filter((i) => (BUDGET_INCIDENT_KINDS as readonly string[]).includes(i.kind))
      .map((i) => dayOf(Number(i.created_at))),
  );
  const overBudget = new Set([...days.over, ...budgetIncidentDays]);
  const active = new Set([...days.active, ...budgetIncidentDays]);
  return {
    since,
    now,
    daysInTier: Math.max(0, Math.floor((now - since) / DAY_MS)),
    criticalIncidents: incidents.filter((i) => i.severity === 'critical').length,
    activeDays: active.size,
    overBudgetDays: overBudget.size,
    ...actions,
    rejectedReviews: Number(rejected?.n ?? 0),
  };
}

export function dayOf(ms: number): number {
  return ms - (ms % DAY_MS);
}

/** The UTC days with calls, and those among them when a hard budget refused a call. */
async function decisionDays(db: Kysely<Database>, tenantId: string, agentId: string, since: number) {
  const day = sql<number>`created_at - (created_at % ${sql.lit(DAY_MS)})`;
  const rows = await db
    .selectFrom('decisions')
    .select([
      day.as('day'),
      sql<number>`sum(case when code = 'budget_exceeded' then 1 else 0 end)`.as('over'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .where('created_at', '>=', since)
    .groupBy(day)
    .execute();
  return {
    active: rows.map((r) => Number(r.day)),
    over: rows.filter((r) => Number(r.over) > 0).map((r) => Number(r.day)),
  };
}

async function actionCounts(db: Kysely<Database>, tenantId: string, agentId: string, since: number) {
  const rows = await db
    .selectFrom('decisions')
    .select(['effect', 'outcome_status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .where('created_at', '>=', since)
    .where('code', 'not in', [...NEUTRAL_DENY_CODES])
    .groupBy(['effect', 'outcome_status'])
    .execute();
  const count = (match: (row: (typeof rows)[number]) => boolean) =>
    rows.filter(match).reduce((sum, r) => sum + Number(r.n), 0);
  return {
    successes: count((r) => r.effect === 'allow' && r.outcome_status === 'succeeded'),
    failures: count((r) => r.effect === 'allow' && r.outcome_status === 'failed'),
    denied: count((r) => r.effect === 'deny'),
  };
}
