import type { Storage } from '../storage/database.js';
import {
  DAY_MS,
  type DailyUsage,
  dailyUsage,
  type UsageAgents,
  type UsageMeasure,
} from '../usage/daily-usage.js';
import { type Budget, type BudgetUnit, fromBase } from './budget.js';
import type { BudgetService } from './budget-service.js';
import { type BurnProjection, projectBurn } from './burn-rate.js';

/** A budget's use over the last days and where its current window is heading. */
export interface BudgetUsage {
  readonly budget: Budget;
  /** Per UTC day, in the unit as people read it (dollars for usd), summed over the agents it covers. */
  readonly series: readonly DailyUsage[];
  /** The counter the projection is about: the budget's one shared counter, or its most used one. */
  readonly counter: string | null;
  readonly windowStart: number | null;
  /** Used in the current window, in the unit's base (micro-dollars for usd). */
  readonly used: number;
  readonly projection: BurnProjection;
}

const MEASURE: Readonly<Record<BudgetUnit, UsageMeasure>> = {
  usd: 'cost_usd',
  tokens: 'tokens',
  calls: 'calls',
  records: 'records',
};

/**
 * Reads a budget's history from the agents' daily usage (the budget counters keep only the current
 * window) and projects its current window from its counter.
 */
export class BudgetUsageReader {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly budgets: BudgetService;
      readonly clock: () => number;
    },
  ) {}

  async read(tenantId: string, id: string, days: number): Promise<BudgetUsage> {
    const { budgets, storage, clock } = this.deps;
    const budget = await budgets.get(tenantId, id);
    const now = clock();
    const today = now - (now % DAY_MS);
    const agents = this.coveredAgents(budget);
    const [[top], window] = await Promise.all([
      budgets.counters(tenantId, budget, 1),
      budgets.currentWindow(tenantId, budget),
    ]);
    const series = await dailyUsage(
      storage,
      tenantId,
      agents,
      MEASURE[budget.unit],
      today - (days - 1) * DAY_MS,
      today + DAY_MS,
    );
    const used = top?.used ?? 0;
    const windowStart = budget.period === 'task' ? null : window.start;
    return {
      budget,
      // usd day rows are dollars already; the other units count the same way in both places.
      series,
      counter: top?.counter ?? null,
      windowStart,
      used,
      projection: projectBurn({
        used,
        limit: budget.limit,
        windowStart: window.start,
        windowEnd: budget.period === 'task' ? null : window.end,
        now,
      }),
    };
  }

  private coveredAgents(budget: Budget): UsageAgents {
    if (budget.scope === 'tenant') return { all: true };
    if (budget.scope === 'role') return { role: budget.role ?? '' };
    if (budget.agentId !== null) return { ids: [budget.agentId] };
    if (budget.tier !== null) return { tier: budget.tier };
    return { all: true };
  }
}

/** A base amount in the unit as people read it, rounded to six places like the counters. */
export function readable(unit: BudgetUnit, base: number): number {
  return Math.round(fromBase(unit, base) * 1e6) / 1e6;
}
