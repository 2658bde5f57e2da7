import type { Agent } from '../agents/agent.js';
import type { Budget, BudgetUnit } from './budget.js';
import { type BudgetWindow, windowOf } from './windows.js';

/** One counter a call is charged on: a budget, whose counter (agent, task, role, tenant), which window. */
export interface CounterRef {
  readonly budget: Budget;
  readonly subject: string;
  readonly window: BudgetWindow;
}

/**
 * The budgets that govern `agent` acting now (in `taskId`, if any), each with its counter.
 * - tenant budgets: one counter for the tenant;
 * - role budgets: one counter per role, shared by every agent holding it;
 * - agent budgets: the agent's own counter; task budgets: the task's counter (only calls in a task).
 * For agent and task budgets the most specific definition of a unit and period wins: one naming
 * the agent overrides its tier's default, which overrides the one for every agent.
 */
export function applicableCounters(
  budgets: readonly Budget[],
  agent: Agent,
  taskId: string | null,
  timeZone: string,
  now: number,
  units?: readonly BudgetUnit[],
): CounterRef[] {
  const chosen = new Map<string, { budget: Budget; rank: number }>();
  const out: CounterRef[] = [];
  for (const budget of budgets) {
    if (units && !units.includes(budget.unit)) continue;
    if (budget.scope === 'tenant') {
      out.push({ budget, subject: agent.tenantId, window: windowOf(budget.period, timeZone, now) });
    } else if (budget.scope === 'role') {
      if (budget.role && agent.roles.includes(budget.role)) {
        out.push({ budget, subject: `role:${budget.role}`, window: windowOf(budget.period, timeZone, now) });
      }
    } else {
      if (budget.scope === 'task' && !taskId) continue;
      const rank = rankFor(budget, agent);
      if (rank === 0) continue;
      const slot = `${budget.scope}|${budget.unit}|${budget.period}`;
      const current = chosen.get(slot);
      if (!current || rank > current.rank || (rank === current.rank && budget.limit < current.budget.limit)) {
        chosen.set(slot, { budget, rank });
      }
    }
  }
  for (const { budget } of chosen.values()) {
    const subject = budget.scope === 'task' ? `task:${taskId}` : agent.id;
    out.push({ budget, subject, window: windowOf(budget.period, timeZone, now) });
  }
  return out;
}

/** 3: names the agent; 2: its tier; 1: every agent; 0: not this agent. */
function rankFor(budget: Budget, agent: Agent): number {
  if (budget.agentId !== null) return budget.agentId === agent.id ? 3 : 0;
  if (budget.tier !== null) return budget.tier === agent.tier ? 2 : 0;
  return 1;
}
