import type { AuditEventInput } from '../../audit/audit-log.js';
import { formatAmount, toBase } from '../../budgets/budget.js';
import type { BudgetCache } from '../../budgets/budget-cache.js';
import { applyCharges, type BudgetCrossing } from '../../budgets/budget-ledger.js';
import { budgetIncidents, crossingEvents } from '../../budgets/crossing-effects.js';
import type { HeldCharge } from '../../budgets/decision-budgets.js';
import type { Amounts } from '../../budgets/estimate.js';
import { windowOf } from '../../budgets/windows.js';
import { newId } from '../../ids.js';
import type { Dialect, Trx } from '../../storage/database.js';

/** Why a shadow call was not made for want of budget. */
export interface BudgetSkip {
  readonly reason: 'budget_missing' | 'budget_exhausted';
  readonly message: string;
}

/** What holding did: a skip when there was no room, and the alerts it crossed either way. */
export interface Held {
  readonly skip?: BudgetSkip;
  readonly crossings: readonly BudgetCrossing[];
  readonly events: readonly AuditEventInput[];
}

/**
 * Reserves a shadow call's worst case on the budget its rule names, in the caller's transaction,
 * keyed by the shadow run's id: the settlement (`Reservations.settleHeld`) or, if the node dies
 * first, the reservation sweeper settles it. Shadow calls are the operator's experiment, charged to
 * none of the agent's own budgets; the named budget is a usd or tokens budget that no single agent
 * owns: a tenant budget (the shadows then count in the tenant's total with every agent's calls) or a
 * role budget (a role no agent holds, e.g. `model-eval`, caps the shadows alone). A hard budget
 * without room for the worst case means no shadow call; a soft one alerts.
 */
export async function holdShadowBudget(
  trx: Trx,
  dialect: Dialect,
  input: {
    readonly cache: BudgetCache;
    readonly tenantId: string;
    readonly agentId: string;
    readonly runId: string;
    readonly budgetName: string;
    readonly worstCase: Amounts;
    readonly ttlMs: number;
    readonly now: number;
  },
): Promise<Held> {
  const { budgets, timeZone } = await input.cache.get(input.tenantId, trx);
  const budget = budgets.find((b) => b.name === input.budgetName);
  const shared = budget?.scope === 'tenant' || budget?.scope === 'role';
  if (!budget || !shared || (budget.unit !== 'usd' && budget.unit !== 'tokens')) {
    return {
      crossings: [],
      events: [],
      skip: {
        reason: 'budget_missing',
        message: budget
          ? `budget ${input.budgetName} is a ${budget.scope} ${budget.unit} budget; a shadow needs a tenant or role budget in usd or tokens`
          : `no budget named ${input.budgetName} in this tenant`,
      },
    };
  }
  // The counter every call under the budget shares: the tenant's, or the role's.
  const subject = budget.scope === 'tenant' ? input.tenantId : `role:${budget.role}`;
  const amount = toBase(budget.unit, input.worstCase[budget.unit] ?? 0);
  const window = windowOf(budget.period, timeZone, input.now);
  const line = { budget, subject, window, reserve: amount, spend: 0 };
  const [result] = await applyCharges(
    trx,
    dialect,
    [{ tenantId: input.tenantId, agentId: input.agentId, lines: [line], enforce: true, decisionId: null }],
    input.now,
  );
  const crossings = result?.crossings ?? [];
  const events = [
    ...crossingEvents(crossings, input.now),
    ...(await budgetIncidents(trx, input.tenantId, crossings, input.now)),
  ];
  if (!result?.admitted) {
    const left = Math.max(0, budget.limit - (result?.refusal?.used ?? budget.limit));
    return {
      crossings,
      events,
      skip: {
        reason: 'budget_exhausted',
        message: `budget ${budget.name} has ${formatAmount(budget.unit, left)} left; this shadow call could cost ${formatAmount(budget.unit, amount)}`,
      },
    };
  }
  const held: HeldCharge = {
    budgetId: budget.id,
    subject,
    windowStart: window.start,
    unit: budget.unit,
    amount,
  };
  await trx
    .insertInto('budget_reservations')
    .values({
      tenant_id: input.tenantId,
      id: newId('rsv', input.now),
      decision_id: input.runId,
      agent_id: input.agentId,
      charges: JSON.stringify([held]),
      status: 'held',
      created_at: input.now,
      expires_at: input.now + input.ttlMs,
      settled_at: null,
      flagged: 0,
    })
    .execute();
  return { crossings, events };
}
