import type { Storage } from '../storage/database.js';

export const DAY_MS = 86_400_000;

/** What a day's usage is summed in: the columns of `agent_usage` a budget unit counts. */
export type UsageMeasure = 'cost_usd' | 'tokens' | 'calls' | 'records';

/** Which agents' usage to sum: every agent of the tenant, or the listed ones. */
export type UsageAgents = { readonly all: true } | { readonly ids: readonly string[] };

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
      .selectFrom('agent_usage')
      .select((eb) => ['window_start', eb.fn.sum<number>(measure).as('amount')])
      .where('tenant_id', '=', tenantId)
      .where('span', '=', 'day')
      .where('window_start', '>=', first)
      .where('window_start', '<', to);
    // A long list of agents (a tier or a role of hundreds) is filtered here rather than bound as
    // hundreds of parameters; a short one narrows the query on the primary key.
    const filterInMemory = 'ids' in agents && agents.ids.length > 200;
    if ('ids' in agents && !filterInMemory) query = query.where('agent_id', 'in', [...agents.ids]);
    if (filterInMemory) {
      const wanted = new Set(agents.ids);
      const rows = await storage.db
        .selectFrom('agent_usage')
        .select(['agent_id', 'window_start', measure])
        .where('tenant_id', '=', tenantId)
        .where('span', '=', 'day')
        .where('window_start', '>=', first)
        .where('window_start', '<', to)
        .execute();
      for (const row of rows) {
        if (!wanted.has(row.agent_id)) continue;
        const start = Number(row.window_start);
        sums.set(start, (sums.get(start) ?? 0) + Number((row as Record<string, unknown>)[measure]));
      }
    } else {
      const rows = await query.groupBy('window_start').execute();
      for (const row of rows) sums.set(Number(row.window_start), Number(row.amount ?? 0));
    }
  }
  const days: DailyUsage[] = [];
  for (let day = first; day < to; day += DAY_MS) days.push({ day, amount: sums.get(day) ?? 0 });
  return days;
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
