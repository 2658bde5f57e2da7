import { type SqlBool, sql } from 'kysely';
import { jsonArrayHas } from '../agents/agent-store.js';
import type { Storage } from '../storage/database.js';

export const DAY_MS = 86_400_000;

/** What a day's usage is summed in: the columns of `agent_usage` a budget unit counts. */
export type UsageMeasure = 'cost_usd' | 'tokens' | 'calls' | 'records';

/** Which agents' usage to sum: every agent of the tenant, the listed ones, a tier's or a role's. */
export type UsageAgents =
  | { readonly all: true }
  | { readonly ids: readonly string[] }
  | { readonly tier: string }
  | { readonly role: string };

export interface DailyUsage {
  /** UTC midnight of the day, epoch ms. */
  readonly day: number;
  readonly amount: number;
}

/**
 * The UTC day buckets of `agent_usage` summed over agents, for days in [from, to): one entry per
 * day, zero where nothing was used, oldest first. The day rows are never pruned, so any range of
 * days can be read; the `agent_usage_tenant_span` index (migration 0012) keeps a tenant-wide sum
 * from reading every agent's minute and hour rows.
 */
export async function dailyUsage(
  storage: Storage,
  tenantId: string,
  agents: UsageAgents,
  measure: UsageMeasure,
  from: number,
  to: number,
): Promise<DailyUsage[]> {
  const first = from - (from % DAY_MS);
  const sums = new Map<number, number>();
  if (!('ids' in agents) || agents.ids.length > 0) {
    let query = storage.db
      .selectFrom('agent_usage as u')
      .select((eb) => ['u.window_start', eb.fn.sum<number>(`u.${measure}`).as('amount')])
      .where('u.tenant_id', '=', tenantId)
      .where('u.span', '=', 'day')
      .where('u.window_start', '>=', first)
      .where('u.window_start', '<', to);
    if ('ids' in agents) query = query.where('u.agent_id', 'in', [...agents.ids]);
    if ('tier' in agents || 'role' in agents) {
      // A tier's or a role's agents are joined, not listed: a role of hundreds of agents would be
      // hundreds of parameters, or every day row of the tenant read back to be filtered here.
      query = query
        .innerJoin('agents as a', (join) =>
          join.onRef('a.tenant_id', '=', 'u.tenant_id').onRef('a.id', '=', 'u.agent_id'),
        )
        .where(
          'tier' in agents ? sql<SqlBool>`a.tier = ${agents.tier}` : jsonArrayHas('a.roles', agents.role),
        );
    }
    const rows = await query.groupBy('u.window_start').execute();
    for (const row of rows) sums.set(Number(row.window_start), Number(row.amount ?? 0));
  }
  const days: DailyUsage[] = [];
  for (let day = first; day < to; day += DAY_MS) days.push({ day, amount: sums.get(day) ?? 0 });
  return days;
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
