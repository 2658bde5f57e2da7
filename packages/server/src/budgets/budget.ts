import type { BudgetsTable } from '../storage/schema.js';

export const BUDGET_SCOPES = ['task', 'agent', 'role', 'tenant'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['task', 'hour', 'day', 'week', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export const BUDGET_UNITS = ['usd', 'tokens', 'calls', 'records'] as const;
export type BudgetUnit = (typeof BUDGET_UNITS)[number];
export const LIMIT_ACTIONS = ['deny', 'alert'] as const;
export type LimitAction = (typeof LIMIT_ACTIONS)[number];
export type BudgetSource = 'api' | 'config';

/**
 * A limit on spend or usage. `limit` is in the unit's base: micro-dollars for usd (so sums are exact
 * integers), tokens, calls and records as counted. Which agents it covers: one agent (`agentId`),
 * every agent of a tier (`tier`), or every agent (neither); a role budget covers the agents holding
 * `role`, and they share one counter.
 */
export interface Budget {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scope: BudgetScope;
  readonly agentId: string | null;
  readonly tier: string | null;
  readonly role: string | null;
  readonly period: BudgetPeriod;
  readonly unit: BudgetUnit;
  readonly limit: number;
  /** Percentages of the limit announced once per window, ascending. */
  readonly thresholds: readonly number[];
  readonly onLimit: LimitAction;
  /** Suspend the agent (and record an incident) when it reaches the limit. */
  readonly suspendAgent: boolean;
  readonly source: BudgetSource;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const MICROS_PER_USD = 1_000_000;

/** An amount as people write it (dollars, tokens, ...) in the unit's integer base. */
export function toBase(unit: BudgetUnit, amount: number): number {
  return unit === 'usd' ? Math.round(amount * MICROS_PER_USD) : Math.round(amount);
}

/** A base amount as people read it. */
export function fromBase(unit: BudgetUnit, amount: number): number {
  return unit === 'usd' ? amount / MICROS_PER_USD : amount;
}

/** `$12.34`, `1,200 tokens`: how messages show an amount. */
export function formatAmount(unit: BudgetUnit, base: number): string {
  const value = fromBase(unit, base);
  if (unit === 'usd') return `$${value.toFixed(2)}`;
  return `${value.toLocaleString('en-US')} ${unit}`;
}

export function budgetFromRow(row: BudgetsTable): Budget {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    scope: row.scope as BudgetScope,
    agentId: row.agent_id,
    tier: row.tier,
    role: row.role,
    period: row.period as BudgetPeriod,
    unit: row.unit as BudgetUnit,
    limit: Number(row.limit_amount),
    thresholds: JSON.parse(row.thresholds) as number[],
    onLimit: row.on_limit as LimitAction,
    suspendAgent: Number(row.suspend_agent) === 1,
    source: row.source as BudgetSource,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function budgetToRow(budget: Budget): BudgetsTable {
  return {
    tenant_id: budget.tenantId,
    id: budget.id,
    name: budget.name,
    scope: budget.scope,
    agent_id: budget.agentId,
    tier: budget.tier,
    role: budget.role,
    period: budget.period,
    unit: budget.unit,
    limit_amount: budget.limit,
    thresholds: JSON.stringify(budget.thresholds),
    on_limit: budget.onLimit,
    suspend_agent: budget.suspendAgent ? 1 : 0,
    source: budget.source,
    created_at: budget.createdAt,
    updated_at: budget.updatedAt,
  };
}

/** A human-readable name of what a budget limits: "agent daily usd". */
export function describeBudget(budget: Budget): string {
  const period =
    budget.period === 'task'
      ? 'per-task'
      : { hour: 'hourly', day: 'daily', week: 'weekly', month: 'monthly' }[budget.period];
  return `${budget.scope} ${period} ${budget.unit} budget ${budget.name}`;
}
