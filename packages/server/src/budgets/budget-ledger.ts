import type { AuditEventInput } from '../audit/audit-log.js';
import { allColumns, compiledInsert } from '../storage/compiled-query.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { BudgetCountersTable } from '../storage/schema.js';
import type { CounterRef } from './applicable.js';
import { type Budget, describeBudget, formatAmount } from './budget.js';

/** What one call asks of one counter. */
export interface ChargeLine extends CounterRef {
  /** Added to `reserved` (negative releases a reservation). */
  readonly reserve: number;
  /** Added to `spent` (negative refunds). */
  readonly spend: number;
}

/** A set of lines that is applied all together or, when `enforce` and a hard budget has no room, not at all. */
export interface ChargeRequest {
  readonly tenantId: string;
  readonly agentId: string;
  readonly lines: readonly ChargeLine[];
  /** Admission: hard budgets refuse what does not fit. Settlements are never refused. */
  readonly enforce: boolean;
  /** Names the call in alert events (decision id). */
  readonly decisionId: string | null;
}

/** A counter after the request: for the decide response. */
export interface CounterState {
  readonly budget: Budget;
  readonly subject: string;
  readonly windowEnd: number | null;
  readonly used: number;
}

export interface Refusal {
  readonly budget: Budget;
  readonly subject: string;
  readonly used: number;
  readonly asked: number;
  readonly windowEnd: number | null;
}

/** A threshold or the limit reached, announced once per counter and window. */
export interface BudgetCrossing {
  readonly kind: 'threshold' | 'limit';
  readonly budget: Budget;
  readonly subject: string;
  readonly agentId: string;
  readonly used: number;
  /** The percentage crossed (thresholds), or 100 (limit). */
  readonly percent: number;
  readonly windowStart: number;
  readonly windowEnd: number | null;
  readonly decisionId: string | null;
  /** For a refusal: what the refused call needed. */
  readonly asked?: number;
}

export interface ChargeResult {
  readonly admitted: boolean;
  readonly refusal: Refusal | null;
  readonly states: readonly CounterState[];
  readonly crossings: readonly BudgetCrossing[];
}

interface Counter {
  readonly row: BudgetCountersTable;
  reserved: number;
  spent: number;
  level: number;
  dirty: boolean;
}

/**
 * Applies charge requests to the budget counters inside the caller's transaction. The counters a
 * batch touches are locked first, in one statement and in key order (on PostgreSQL an upsert locks
 * each row; two nodes' batches queue on a shared row instead of deadlocking); the requests are then
 * decided one after another against the locked values, and the changed rows written back. So
 * reserved + spent never passes a hard limit, across nodes, and no request is refused while the
 * counters still had room for it.
 */
export async function applyCharges(
  trx: Trx,
  dialect: Dialect,
  requests: readonly (ChargeRequest | null)[],
  now: number,
): Promise<(ChargeResult | null)[]> {
  const counters = await lockCounters(trx, dialect, requests, now);
  const results = requests.map((request) => (request ? charge(request, counters) : null));
  const changed = [...counters.values()]
    .filter((c) => c.dirty)
    .map((c) => ({ ...c.row, reserved: c.reserved, spent: c.spent, alert_level: c.level, updated_at: now }));
  await saveCounters(trx, dialect, changed);
  return results;
}

function charge(request: ChargeRequest, counters: Map<string, Counter>): ChargeResult {
  const touched = request.lines.map((line) => ({ line, counter: counters.get(keyOf(line)) as Counter }));
  if (request.enforce) {
    for (const { line, counter } of touched) {
      if (line.budget.onLimit !== 'deny') continue;
      const used = counter.reserved + counter.spent;
      const asked = line.reserve + line.spend;
      const fits = asked > 0 ? used + asked <= line.budget.limit : used < line.budget.limit;
      if (fits) continue;
      const crossings: BudgetCrossing[] = [];
      const limitLevel = line.budget.thresholds.length + 1;
      if (counter.level < limitLevel) {
        counter.level = limitLevel;
        counter.dirty = true;
        crossings.push({ ...crossing('limit', line, request, used, 100), asked });
      }
      return {
        admitted: false,
        refusal: { budget: line.budget, subject: line.subject, used, asked, windowEnd: line.window.end },
        states: touched.map(({ line: l, counter: c }) => stateOf(l, c)),
        crossings,
      };
    }
  }
  const crossings: BudgetCrossing[] = [];
  for (const { line, counter } of touched) {
    if (line.reserve === 0 && line.spend === 0) continue;
    counter.reserved = Math.max(0, counter.reserved + line.reserve);
    counter.spent += line.spend;
    counter.dirty = true;
    const used = counter.reserved + counter.spent;
    const level = levelOf(line.budget, used);
    if (level > counter.level) {
      counter.level = level;
      const limitReached = level === line.budget.thresholds.length + 1;
      crossings.push(
        crossing(
          limitReached ? 'limit' : 'threshold',
          line,
          request,
          used,
          limitReached ? 100 : (line.budget.thresholds[level - 1] as number),
        ),
      );
    }
  }
  return {
    admitted: true,
    refusal: null,
    states: touched.map(({ line, counter }) => stateOf(line, counter)),
    crossings,
  };
}

/** How many thresholds `used` has reached, plus one once it reaches the limit. */
function levelOf(budget: Budget, used: number): number {
  if (used >= budget.limit) return budget.thresholds.length + 1;
  let level = 0;
  for (const percent of budget.thresholds) if (used * 100 >= percent * budget.limit) level++;
  return level;
}

function crossing(
  kind: BudgetCrossing['kind'],
  line: ChargeLine,
  request: ChargeRequest,
  used: number,
  percent: number,
): BudgetCrossing {
  return {
    kind,
    budget: line.budget,
    subject: line.subject,
    agentId: request.agentId,
    used,
    percent,
    windowStart: line.window.start,
    windowEnd: line.window.end,
    decisionId: request.decisionId,
  };
}

function stateOf(line: ChargeLine, counter: Counter): CounterState {
  return {
    budget: line.budget,
    subject: line.subject,
    windowEnd: line.window.end,
    used: counter.reserved + counter.spent,
  };
}

function keyOf(line: { budget: Budget; subject: string; window: { start: number } }): string {
  return `${line.budget.id}|${line.subject}|${line.window.start}`;
}

const COUNTER_COLUMNS = allColumns<BudgetCountersTable>()([
  'tenant_id',
  'budget_id',
  'subject',
  'window_start',
  'reserved',
  'spent',
  'alert_level',
  'updated_at',
]);
// The no-op update makes the upsert lock (and return) rows that already exist.
const lockOrCreateCounters = compiledInsert<BudgetCountersTable, BudgetCountersTable>(
  COUNTER_COLUMNS,
  (db, rows) =>
    db
      .insertInto('budget_counters')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['budget_id', 'subject', 'window_start'])
          .doUpdateSet((eb) => ({ updated_at: eb.ref('budget_counters.updated_at') })),
      )
      .returningAll(),
);
const saveCounters = compiledInsert<BudgetCountersTable>(COUNTER_COLUMNS, (db, rows) =>
  db
    .insertInto('budget_counters')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['budget_id', 'subject', 'window_start']).doUpdateSet((eb) => ({
        reserved: eb.ref('excluded.reserved'),
        spent: eb.ref('excluded.spent'),
        alert_level: eb.ref('excluded.alert_level'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    ),
);

/** Locks (creating when missing) every counter the requests touch, in key order. */
async function lockCounters(
  trx: Trx,
  dialect: Dialect,
  requests: readonly (ChargeRequest | null)[],
  now: number,
): Promise<Map<string, Counter>> {
  const wanted = new Map<string, BudgetCountersTable>();
  for (const request of requests) {
    for (const line of request?.lines ?? []) {
      wanted.set(keyOf(line), {
        tenant_id: request?.tenantId as string,
        budget_id: line.budget.id,
        subject: line.subject,
        window_start: line.window.start,
        reserved: 0,
        spent: 0,
        alert_level: 0,
        updated_at: now,
      });
    }
  }
  const counters = new Map<string, Counter>();
  if (wanted.size === 0) return counters;
  const ordered = [...wanted.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
  // In key order, so two nodes' batches do not lock the same counters in opposite orders.
  const rows = await lockOrCreateCounters(trx, dialect, ordered);
  for (const row of rows) {
    const normalized = {
      ...row,
      reserved: Number(row.reserved),
      spent: Number(row.spent),
      alert_level: Number(row.alert_level),
      window_start: Number(row.window_start),
    };
    counters.set(`${row.budget_id}|${row.subject}|${normalized.window_start}`, {
      row: normalized,
      reserved: normalized.reserved,
      spent: normalized.spent,
      level: normalized.alert_level,
      dirty: false,
    });
  }
  return counters;
}

/** The audit event announcing a crossing. */
export function crossingEvent(c: BudgetCrossing, now: number): AuditEventInput {
  return {
    type: c.kind === 'limit' ? 'budget.exhausted' : 'budget.alert',
    actor: { type: 'system', id: 'budgets' },
    subject: { type: 'budget', id: c.budget.id },
    payload: {
      name: c.budget.name,
      scope: c.budget.scope,
      counter: c.subject,
      agentId: c.agentId,
      unit: c.budget.unit,
      period: c.budget.period,
      limit: formatAmount(c.budget.unit, c.budget.limit),
      used: formatAmount(c.budget.unit, c.used),
      percent: c.percent,
      onLimit: c.budget.onLimit,
      windowStart: c.windowStart === 0 ? null : new Date(c.windowStart).toISOString(),
      windowEnd: c.windowEnd === null ? null : new Date(c.windowEnd).toISOString(),
      decisionId: c.decisionId,
      ...(c.asked !== undefined ? { asked: formatAmount(c.budget.unit, c.asked) } : {}),
    },
    at: now,
  };
}

/** One line for people: "agent daily usd budget sandbox-daily reached 75% ($75.00 of $100.00)". */
export function describeCrossing(c: BudgetCrossing): string {
  const amounts = `${formatAmount(c.budget.unit, c.used)} of ${formatAmount(c.budget.unit, c.budget.limit)}`;
  if (c.kind === 'limit' && c.used < c.budget.limit) {
    const needed = c.asked ? ` a call needing ${formatAmount(c.budget.unit, c.asked)}` : ' a call';
    return `${describeBudget(c.budget)} refused${needed}: it would pass the limit (${amounts} used)`;
  }
  return c.kind === 'limit'
    ? `${describeBudget(c.budget)} reached its limit (${amounts})${c.budget.onLimit === 'deny' ? '; further calls are denied' : ''}`
    : `${describeBudget(c.budget)} reached ${c.percent}% (${amounts})`;
}
