import type { Agent } from '../agents/agent.js';
import { newId } from '../ids.js';
import type { BudgetReservationsTable } from '../storage/schema.js';
import { applicableCounters } from './applicable.js';
import { type Budget, type BudgetUnit, formatAmount, fromBase, toBase } from './budget.js';
import type { BudgetCache } from './budget-cache.js';
import type { ChargeLine, ChargeRequest, ChargeResult, CounterState } from './budget-ledger.js';
import type { Amounts } from './estimate.js';

export interface BudgetPlanInput {
  readonly tenantId: string;
  readonly agent: Agent;
  readonly taskId: string | null;
  readonly effect: 'allow' | 'review';
  readonly estimate: Amounts | undefined;
  readonly decisionId: string;
  readonly now: number;
}

/**
 * What a call asks of its budgets: plain data the decision's transaction applies (and turns into a
 * deny when a hard budget has no room).
 */
export interface BudgetAdmission {
  readonly request: ChargeRequest;
  /** Held until the outcome settles it (a call with an estimate). */
  readonly reservation: BudgetReservationsTable | null;
}

/** A stored reservation's line: which counter holds how much. */
export interface HeldCharge {
  readonly budgetId: string;
  readonly subject: string;
  readonly windowStart: number;
  readonly unit: BudgetUnit;
  readonly amount: number;
}

/** The `budget` part of a decide response. */
export interface BudgetView {
  /** The least room left per unit across the budgets that apply, in dollars, tokens, calls, records. */
  readonly remaining: Partial<Record<BudgetUnit, number>>;
  /** Budgets past their first alert threshold: the agent should finish its step and wind down. */
  readonly warnings: readonly BudgetWarning[];
  readonly reservation: { readonly id: string; readonly expiresAt: string } | null;
}

export interface BudgetWarning {
  readonly budgetId: string;
  readonly name: string;
  readonly scope: string;
  readonly unit: BudgetUnit;
  readonly period: string;
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  readonly percent: number;
  readonly windowEnds: string | null;
  readonly message: string;
}

/**
 * Budgets on the decide path: which counters a call is charged on, and how much. An allowed call
 * spends one call and reserves its estimate (usd, tokens, records) until its outcome settles it; a
 * review only needs room (it reserves when the approved call comes back). A call without an
 * estimate reserves nothing but still needs room: a budget already used up refuses it.
 */
export class DecisionBudgets {
  constructor(
    private readonly cache: BudgetCache,
    private readonly reservationTtlMs: number,
  ) {}

  async plan(input: BudgetPlanInput): Promise<BudgetAdmission | undefined> {
    const { budgets, timeZone } = await this.cache.get(input.tenantId);
    if (budgets.length === 0) return undefined;
    const counters = applicableCounters(budgets, input.agent, input.taskId, timeZone, input.now);
    if (counters.length === 0) return undefined;
    const allowed = input.effect === 'allow';
    const lines: ChargeLine[] = counters.map((counter) => {
      const unit = counter.budget.unit;
      if (unit === 'calls') return { ...counter, reserve: 0, spend: allowed ? 1 : 0 };
      const estimate = allowed ? toBase(unit, input.estimate?.[unit] ?? 0) : 0;
      return { ...counter, reserve: estimate, spend: 0 };
    });
    const held: HeldCharge[] = lines
      .filter((l) => l.reserve > 0)
      .map((l) => ({
        budgetId: l.budget.id,
        subject: l.subject,
        windowStart: l.window.start,
        unit: l.budget.unit,
        amount: l.reserve,
      }));
    return {
      request: {
        tenantId: input.tenantId,
        agentId: input.agent.id,
        lines,
        enforce: true,
        decisionId: input.decisionId,
      },
      reservation:
        held.length === 0
          ? null
          : {
              tenant_id: input.tenantId,
              id: newId('rsv', input.now),
              decision_id: input.decisionId,
              agent_id: input.agent.id,
              charges: JSON.stringify(held),
              status: 'held',
              created_at: input.now,
              expires_at: input.now + this.reservationTtlMs,
              settled_at: null,
              flagged: 0,
            },
    };
  }
}

/** What the agent is told about its budgets after this call. */
export function budgetView(
  charge: ChargeResult,
  admission: BudgetAdmission,
  effect: 'allow' | 'review' | 'deny',
): BudgetView {
  const remaining: Partial<Record<BudgetUnit, number>> = {};
  const warnings: BudgetWarning[] = [];
  for (const state of charge.states) {
    const { budget } = state;
    const left = Math.max(0, budget.limit - state.used);
    const current = remaining[budget.unit];
    const leftInUnit = round(fromBase(budget.unit, left));
    if (current === undefined || leftInUnit < current) remaining[budget.unit] = leftInUnit;
    const warning = warningOf(state, left);
    if (warning) warnings.push(warning);
  }
  const reservation =
    charge.admitted && admission.reservation && effect !== 'deny'
      ? { id: admission.reservation.id, expiresAt: new Date(admission.reservation.expires_at).toISOString() }
      : null;
  return { remaining, warnings, reservation };
}

function warningOf(state: CounterState, left: number): BudgetWarning | undefined {
  const { budget } = state;
  const first = budget.thresholds[0] ?? 100;
  if (state.used * 100 < first * budget.limit) return undefined;
  const percent = Math.min(100, Math.floor((state.used * 100) / budget.limit));
  const until =
    state.windowEnd === null ? 'for this task' : `until ${new Date(state.windowEnd).toISOString()}`;
  return {
    budgetId: budget.id,
    name: budget.name,
    scope: budget.scope,
    unit: budget.unit,
    period: budget.period,
    limit: fromBase(budget.unit, budget.limit),
    used: round(fromBase(budget.unit, state.used)),
    remaining: round(fromBase(budget.unit, left)),
    percent,
    windowEnds: state.windowEnd === null ? null : new Date(state.windowEnd).toISOString(),
    message: `${budget.scope} ${budget.unit} budget ${budget.name} is ${percent}% used: ${formatAmount(budget.unit, left)} left ${until}${budget.onLimit === 'deny' ? '; calls beyond it are denied' : ''}`,
  };
}

/** The reason of a deny for lack of budget. */
export function refusalReason(budget: Budget, used: number, asked: number, windowEnd: number | null): string {
  const left = Math.max(0, budget.limit - used);
  const until = windowEnd === null ? 'for this task' : `until ${new Date(windowEnd).toISOString()}`;
  const ask = asked > 0 ? `; this call needs ${formatAmount(budget.unit, asked)}` : '';
  return `${budget.scope} ${budget.unit} budget ${budget.name} has ${formatAmount(budget.unit, left)} left of ${formatAmount(budget.unit, budget.limit)} ${until}${ask}`;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
