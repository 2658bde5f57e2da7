import type { CliIo } from '../io.js';
import { type Json, keyValues, table, text } from './agents-format.js';
import { duration, record, relative } from './approvals-format.js';

/** How `warden budgets` prints budgets, counters and rate limits. */

/** An amount in its unit as people read it: `$12.50`, `1,200` (tokens, calls, records). */
export function amount(unit: unknown, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '-';
  if (unit !== 'usd') return value.toLocaleString('en-US', { maximumFractionDigits: 6 });
  // Cents, unless the amount is finer (the server keeps micro-dollars).
  const cents = Math.round(value * 100) / 100 === value;
  return `$${value.toLocaleString('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: cents ? 2 : 6,
  })}`;
}

/** The scope and what it selects: `agent (tier sandbox)`, `agent (agt_…)`, `role (support)`, `tenant`. */
export function scopeOf(budget: Json): string {
  const scope = text(budget.scope);
  if (typeof budget.agentId === 'string') return `${scope} (${budget.agentId})`;
  if (typeof budget.tier === 'string') return `${scope} (tier ${budget.tier})`;
  if (typeof budget.role === 'string') return `${scope} (${budget.role})`;
  // A role or tenant budget has one shared counter; the others count each agent (or task) apart.
  return scope === 'role' || scope === 'tenant' ? scope : `${scope} (every agent)`;
}

/** `deny`, `alert`, `deny + suspend`: what happens at the limit. */
export function atLimitOf(budget: Json): string {
  const action = text(budget.onLimit);
  return budget.suspendAgent === true ? `${action} + suspend` : action;
}

export function thresholdsOf(budget: Json): string {
  const list = Array.isArray(budget.thresholds) ? budget.thresholds : [];
  return list.length === 0 ? 'none' : `${list.join(',')}%`;
}

export const BUDGET_HEADERS = [
  'ID',
  'NAME',
  'SCOPE',
  'PERIOD',
  'UNIT',
  'LIMIT',
  'AT LIMIT',
  'THRESHOLDS',
  'SOURCE',
] as const;

export function budgetRow(budget: Json): string[] {
  return [
    text(budget.id),
    text(budget.name),
    scopeOf(budget),
    text(budget.period),
    text(budget.unit),
    amount(budget.unit, budget.limit),
    atLimitOf(budget),
    thresholdsOf(budget),
    text(budget.source),
  ];
}

export function budgetLines(budget: Json): string {
  const source =
    budget.source === 'config'
      ? 'config (the budgets file or the built-in tier defaults: change it there)'
      : text(budget.source);
  return keyValues([
    ['id', text(budget.id)],
    ['name', text(budget.name)],
    ['scope', scopeOf(budget)],
    ['period', text(budget.period)],
    ['unit', text(budget.unit)],
    ['limit', amount(budget.unit, budget.limit)],
    ['at limit', text(budget.onLimit)],
    ['suspend agent', budget.suspendAgent === true ? 'yes' : 'no'],
    ['thresholds', thresholdsOf(budget)],
    ['source', source],
    ['created at', text(budget.createdAt)],
    ['updated at', text(budget.updatedAt)],
  ]);
}

/** When the counter starts again: the time and how far away; a task budget lasts its task. */
export function windowEndOf(iso: unknown, now: number): string {
  if (typeof iso !== 'string') return 'end of task';
  return `${iso.replace(/\.000Z$/, 'Z')} (${relative(iso, now)})`;
}

/** A counter's columns after the ones naming it: used / limit, %, remaining, window end. */
function usage(counter: Json, now: number): string[] {
  const unit = record(counter.budget).unit;
  return [
    `${amount(unit, counter.used)} / ${amount(unit, record(counter.budget).limit)}`,
    `${text(counter.percent)}%`,
    amount(unit, counter.remaining),
    windowEndOf(counter.windowEnd, now),
  ];
}

const USAGE_HEADERS = ['USED / LIMIT', '%', 'REMAINING', 'WINDOW END'] as const;

/** `budgets show`: one budget's counters (agents, tasks, roles or the tenant sharing it). */
export function countersTable(io: CliIo, counters: readonly Json[], now: number): string {
  return table(
    io,
    ['COUNTER', ...USAGE_HEADERS],
    counters.map((counter) => [text(counter.counter), ...usage(counter, now)]),
  );
}

/** `budgets agent`: every budget governing one agent, with the counter it draws on. */
export function agentBudgetsTable(io: CliIo, counters: readonly Json[], now: number): string {
  return table(
    io,
    ['BUDGET', 'SCOPE', 'PERIOD', 'COUNTER', ...USAGE_HEADERS],
    counters.map((counter) => {
      const budget = record(counter.budget);
      return [
        text(budget.name),
        scopeOf(budget),
        text(budget.period),
        text(counter.counter),
        ...usage(counter, now),
      ];
    }),
  );
}

export const RATE_LIMIT_HEADERS = ['ID', 'NAME', 'SCOPE', 'TOOL', 'MAX CALLS', 'WINDOW', 'SOURCE'] as const;

/** `60s`, `3600s (1h)`: the window as given and, when longer than a minute, as people say it. */
export function windowOf(seconds: unknown): string {
  if (typeof seconds !== 'number') return '-';
  return seconds < 60 ? `${seconds}s` : `${seconds}s (${duration(seconds)})`;
}

export function rateLimitRow(rule: Json): string[] {
  return [
    text(rule.id),
    text(rule.name),
    scopeOf(rule),
    text(rule.tool),
    amount('calls', rule.maxCalls),
    windowOf(rule.windowSeconds),
    text(rule.source),
  ];
}

/** One line: `rtl_… ci-limit: 100 calls per 60s (1m), agent (every agent)`. */
export function rateLimitLine(rule: Json): string {
  const tool = typeof rule.tool === 'string' ? ` of ${rule.tool}` : '';
  return `${text(rule.id)} ${text(rule.name)}: ${amount('calls', rule.maxCalls)} calls${tool} per ${windowOf(rule.windowSeconds)}, ${scopeOf(rule)}`;
}
