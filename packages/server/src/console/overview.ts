import { type Kysely, sql } from 'kysely';
import { isGuardian } from '../agents/agent-access.js';
import type { AnomalyNotice, AnomalyReader } from '../anomaly/anomaly-reader.js';
import type { ApprovalReader } from '../approvals/approval-reader.js';
import type { Budget } from '../budgets/budget.js';
import type { BudgetService } from '../budgets/budget-service.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import { hasAnyRole } from '../tenants/roles.js';
import { DAY_MS, type DailyUsage, dailyUsage } from '../usage/daily-usage.js';

const HOUR_MS = 3_600_000;
/** Budgets shown beside the tenant-wide ones: the most used of the rest. */
const TOP_BUDGETS = 5;
/** Waiting approvals are counted up to this many; `more` says there are others. */
const WAITING_COUNTED = 100;
const RECENT_INCIDENTS = 5;
const RECENT_ANOMALIES = 10;

export interface BudgetMeter {
  readonly budget: Budget;
  /** The counter shown: the budget's shared one, or the most used of its per-agent counters. */
  readonly counter: string | null;
  /** Used in the current window, in the unit's base. */
  readonly used: number;
}

export interface IncidentSummary {
  readonly id: string;
  readonly kind: string;
  readonly agentId: string;
  readonly summary: string;
  readonly createdAt: number;
}

export interface HourOfDecisions {
  readonly hour: number;
  readonly allow: number;
  readonly review: number;
  readonly deny: number;
}

/** The overview page's figures; a part the caller's roles may not read is null. */
export interface Overview {
  readonly agents: {
    readonly byStatus: Readonly<Record<string, number>>;
    readonly byTier: Readonly<Record<string, number>>;
  };
  readonly spend: {
    /** Dollars spent by the tenant's agents today and this month (UTC days, as the usage is kept). */
    readonly todayUsd: number;
    readonly monthUsd: number;
    readonly budgets: readonly BudgetMeter[];
    readonly series: readonly DailyUsage[];
  };
  readonly waiting: { readonly approvals: number; readonly more: boolean };
  readonly incidents: { readonly open: number; readonly recent: readonly IncidentSummary[] } | null;
  readonly decisions24h: readonly HourOfDecisions[] | null;
  readonly anomalies: readonly AnomalyNotice[];
}

export interface OverviewDeps {
  readonly storage: Storage;
  readonly budgets: BudgetService;
  readonly approvals: ApprovalReader;
  readonly anomalies: AnomalyReader;
  readonly clock: () => number;
}

/**
 * The console's first page in one request. What each part needs to be read, as the routes that read
 * the same data in full: agents, budgets and approvals waiting for the caller for every human;
 * incidents and the decisions of the last day for security, auditors and admins; anomalies for
 * them, and for anyone else those of the agents they own.
 */
export class ConsoleOverview {
  constructor(private readonly deps: OverviewDeps) {}

  async read(principal: HumanPrincipal): Promise<Overview> {
    const { tenantId } = principal;
    const oversees = isGuardian(principal) || hasAnyRole(principal.roles, ['auditor']);
    const now = this.deps.clock();
    const [agents, spend, waiting, incidents, decisions24h, anomalies] = await Promise.all([
      this.agents(tenantId),
      this.spend(tenantId, now),
      this.waiting(principal),
      oversees ? this.incidents(tenantId) : null,
      oversees ? decisionsByHour(this.deps.storage.db, tenantId, now) : null,
      this.deps.anomalies.recent(principal, { limit: RECENT_ANOMALIES }),
    ]);
    return { agents, spend, waiting, incidents, decisions24h, anomalies };
  }

  private async agents(tenantId: string): Promise<Overview['agents']> {
    const rows = await this.deps.storage.db
      .selectFrom('agents')
      .select((eb) => ['status', 'tier', eb.fn.countAll<number>().as('count')])
      .where('tenant_id', '=', tenantId)
      .groupBy(['status', 'tier'])
      .execute();
    const byStatus: Record<string, number> = { pending: 0, active: 0, suspended: 0, retired: 0 };
    const byTier: Record<string, number> = { sandbox: 0, monitored: 0, trusted: 0 };
    for (const row of rows) {
      byStatus[row.status] = (byStatus[row.status] ?? 0) + Number(row.count);
      byTier[row.tier] = (byTier[row.tier] ?? 0) + Number(row.count);
    }
    return { byStatus, byTier };
  }

  private async spend(tenantId: string, now: number): Promise<Overview['spend']> {
    const today = now - (now % DAY_MS);
    const date = new Date(now);
    const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    const seriesStart = today - 29 * DAY_MS;
    const [days, budgets] = await Promise.all([
      dailyUsage(
        this.deps.storage,
        tenantId,
        { all: true },
        'cost_usd',
        Math.min(monthStart, seriesStart),
        today + DAY_MS,
      ),
      this.budgetMeters(tenantId),
    ]);
    const sum = (from: number) => days.filter((d) => d.day >= from).reduce((total, d) => total + d.amount, 0);
    return {
      todayUsd: sum(today),
      monthUsd: sum(monthStart),
      budgets,
      series: days.filter((d) => d.day >= seriesStart),
    };
  }

  /** The tenant-wide budgets, then the most used others (by share of their limit). */
  private async budgetMeters(tenantId: string): Promise<BudgetMeter[]> {
    const budgets = await this.deps.budgets.list(tenantId);
    const meters = await Promise.all(
      budgets.map(async (budget) => {
        const [top] = await this.deps.budgets.counters(tenantId, budget, 1);
        return { budget, counter: top?.counter ?? null, used: top?.used ?? 0 };
      }),
    );
    const tenantWide = meters.filter((m) => m.budget.scope === 'tenant');
    const others = meters
      .filter((m) => m.budget.scope !== 'tenant')
      .sort((a, b) => b.used / b.budget.limit - a.used / a.budget.limit)
      .slice(0, TOP_BUDGETS);
    return [...tenantWide, ...others];
  }

  private async waiting(principal: HumanPrincipal): Promise<Overview['waiting']> {
    const page = await this.deps.approvals.list(principal, {
      status: 'pending',
      mine: true,
      limit: WAITING_COUNTED,
    });
    return { approvals: page.items.length, more: page.nextCursor !== null };
  }

  private async incidents(tenantId: string): Promise<NonNullable<Overview['incidents']>> {
    const db = this.deps.storage.db;
    const [count, rows] = await Promise.all([
      db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst(),
      db
        .selectFrom('incidents')
        .select(['id', 'kind', 'agent_id', 'summary', 'created_at'])
        .where('tenant_id', '=', tenantId)
        .orderBy('id', 'desc')
        .limit(RECENT_INCIDENTS)
        .execute(),
    ]);
    return {
      // Warden records incidents but has no way to close one yet: each recorded incident is open.
      open: Number(count?.n ?? 0),
      recent: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        agentId: r.agent_id,
        summary: r.summary,
        createdAt: Number(r.created_at),
      })),
    };
  }
}

/**
 * Decisions of the last 24 whole hours and the running one, by hour and effect: 24 buckets, the
 * last holding the current hour. Counted in the database on the (tenant_id, created_at, effect)
 * index of migration 0012, so the table rows are never read.
 */
export async function decisionsByHour(
  db: Kysely<Database>,
  tenantId: string,
  now: number,
): Promise<HourOfDecisions[]> {
  const first = now - (now % HOUR_MS) - 23 * HOUR_MS;
  // Literals, not parameters: PostgreSQL matches the grouped expression to the selected one only when equal.
  const bucket = sql<number>`(created_at - ${sql.lit(first)}) / ${sql.lit(HOUR_MS)}`;
  const rows = await db
    .selectFrom('decisions')
    .select((eb) => [bucket.as('bucket'), 'effect', eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', first)
    .groupBy([bucket, 'effect'])
    .execute();
  const hours = Array.from({ length: 24 }, (_, i) => ({
    hour: first + i * HOUR_MS,
    allow: 0,
    review: 0,
    deny: 0,
  }));
  for (const row of rows) {
    const hour = hours[Math.floor(Number(row.bucket))];
    if (!hour) continue; // a decision stamped after `now` (another node's clock ahead) is left out
    if (row.effect === 'allow' || row.effect === 'review' || row.effect === 'deny')
      hour[row.effect] += Number(row.n);
  }
  return hours;
}
