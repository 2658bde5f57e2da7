import type { Agent } from '../agents/agent.js';
import type { AuditEventInput } from '../audit/audit-log.js';
import type { Dialect, Trx } from '../storage/database.js';
import { applicableCounters } from './applicable.js';
import type { Budget } from './budget.js';
import { toBase } from './budget.js';
import type { BudgetCache } from './budget-cache.js';
import { applyCharges, type BudgetCrossing, type ChargeLine } from './budget-ledger.js';
import { BUDGETS_ACTOR, budgetIncidents, crossingEvents } from './crossing-effects.js';
import type { HeldCharge } from './decision-budgets.js';
import { AMOUNT_UNITS, type Amounts } from './estimate.js';
import { windowOf } from './windows.js';

export interface ReservationRow {
  readonly id: string;
  readonly tenantId: string;
  readonly agentId: string;
  readonly decisionId: string;
  readonly status: 'held' | 'settled' | 'expired';
  readonly charges: readonly HeldCharge[];
}

export interface Settled {
  readonly reservation: ReservationRow | null;
  readonly crossings: readonly BudgetCrossing[];
  /** The audit events to append in the same transaction (alerts, incidents). */
  readonly events: readonly AuditEventInput[];
}

/**
 * Settling reservations: an outcome turns what was held into what was spent (the actual amount;
 * the rest goes back), and a reservation nobody settled in time is settled at its estimate and
 * flagged — the money was probably spent, and a budget must not stay blocked or leak room.
 */
export class Reservations {
  constructor(private readonly cache: BudgetCache) {}

  /** In the outcome's transaction: settles the decision's reservation (if any) with what it cost. */
  settleOutcome(
    trx: Trx,
    dialect: Dialect,
    input: {
      tenantId: string;
      agent: Agent;
      decisionId: string;
      taskId: string | null;
      decidedAt: number;
      actual: Amounts;
      now: number;
    },
  ): Promise<Settled> {
    return this.settle(trx, dialect, input);
  }

  /**
   * Settles what a reservation held, and only that, with what it cost: for a charge on one named
   * budget outside any decision's (an LLM shadow call, whose reservation is keyed by its own id).
   */
  settleHeld(
    trx: Trx,
    dialect: Dialect,
    input: { tenantId: string; decisionId: string; actual: Amounts; now: number },
  ): Promise<Settled> {
    return this.settle(trx, dialect, input);
  }

  /**
   * Releases what was held and spends the actual amount on the same counters; with `agent`, the
   * actual amount also goes to every budget of the agent the reservation did not hold on (a call
   * without an estimate in that unit).
   */
  private async settle(
    trx: Trx,
    dialect: Dialect,
    input: {
      tenantId: string;
      agent?: Agent;
      decisionId: string;
      taskId?: string | null;
      decidedAt?: number;
      actual: Amounts;
      now: number;
    },
  ): Promise<Settled> {
    const { budgets, timeZone } = await this.cache.get(input.tenantId, trx);
    const reservation = await lockReservation(trx, dialect, { decisionId: input.decisionId });
    const lines = new Map<string, ChargeLine>();
    const add = (budget: Budget, subject: string, windowStart: number, reserve: number, spend: number) => {
      const key = `${budget.id}|${subject}|${windowStart}`;
      const line = lines.get(key);
      const window = {
        start: windowStart,
        end: windowStart === 0 ? null : windowOf(budget.period, timeZone, windowStart).end,
      };
      lines.set(key, {
        budget,
        subject,
        window,
        reserve: (line?.reserve ?? 0) + reserve,
        spend: (line?.spend ?? 0) + spend,
      });
    };
    const actual = (budget: Budget) =>
      budget.unit === 'calls' ? 0 : toBase(budget.unit, input.actual[budget.unit] ?? 0);
    const byId = new Map(budgets.map((b) => [b.id, b]));
    for (const held of reservation?.charges ?? []) {
      const budget = byId.get(held.budgetId);
      if (!budget) continue;
      // Held: release it. Expired: it was already spent at the estimate; the actual replaces it.
      if (reservation?.status === 'held')
        add(budget, held.subject, held.windowStart, -held.amount, actual(budget));
      else add(budget, held.subject, held.windowStart, 0, actual(budget) - held.amount);
    }
    const counters = input.agent
      ? applicableCounters(
          budgets,
          input.agent,
          input.taskId ?? null,
          timeZone,
          input.decidedAt ?? input.now,
          AMOUNT_UNITS,
        )
      : [];
    for (const counter of counters) {
      const key = `${counter.budget.id}|${counter.subject}|${counter.window.start}`;
      if (!lines.has(key))
        add(counter.budget, counter.subject, counter.window.start, 0, actual(counter.budget));
    }
    const [result] = await applyCharges(
      trx,
      dialect,
      [
        {
          tenantId: input.tenantId,
          agentId: input.agent?.id ?? reservation?.agentId ?? '',
          lines: [...lines.values()],
          enforce: false,
          decisionId: input.decisionId,
        },
      ],
      input.now,
    );
    if (reservation?.status === 'held') {
      await trx
        .updateTable('budget_reservations')
        .set({ status: 'settled', settled_at: input.now })
        .where('id', '=', reservation.id)
        .execute();
    }
    const crossings = result?.crossings ?? [];
    return {
      reservation,
      crossings,
      events: [
        ...crossingEvents(crossings, input.now),
        ...(await budgetIncidents(trx, input.tenantId, crossings, input.now)),
      ],
    };
  }

  /**
   * Settles one stale reservation at its estimate and flags it, unless another node (or the outcome)
   * got there first. Returns what it did, or undefined when there was nothing left to do.
   */
  async expire(trx: Trx, dialect: Dialect, id: string, now: number): Promise<Settled | undefined> {
    const reservation = await lockReservation(trx, dialect, { id });
    if (reservation?.status !== 'held') return undefined;
    const { budgets, timeZone } = await this.cache.get(reservation.tenantId, trx);
    const byId = new Map(budgets.map((b) => [b.id, b]));
    const lines: ChargeLine[] = [];
    for (const held of reservation.charges) {
      const budget = byId.get(held.budgetId);
      if (!budget) continue;
      const end = held.windowStart === 0 ? null : windowOf(budget.period, timeZone, held.windowStart).end;
      lines.push({
        budget,
        subject: held.subject,
        window: { start: held.windowStart, end },
        reserve: -held.amount,
        spend: held.amount,
      });
    }
    const [result] = await applyCharges(
      trx,
      dialect,
      [
        {
          tenantId: reservation.tenantId,
          agentId: reservation.agentId,
          lines,
          enforce: false,
          decisionId: reservation.decisionId,
        },
      ],
      now,
    );
    await trx
      .updateTable('budget_reservations')
      .set({ status: 'expired', settled_at: now, flagged: 1 })
      .where('id', '=', reservation.id)
      .execute();
    const crossings = result?.crossings ?? [];
    const expired: AuditEventInput = {
      type: 'budget.reservation_expire',
      actor: BUDGETS_ACTOR,
      subject: { type: 'reservation', id: reservation.id },
      payload: {
        decisionId: reservation.decisionId,
        agentId: reservation.agentId,
        settledAt: 'estimate',
        charges: reservation.charges.map((c) => ({
          budgetId: c.budgetId,
          counter: c.subject,
          unit: c.unit,
          amount: c.amount,
        })),
      },
      at: now,
    };
    return {
      reservation,
      crossings,
      events: [
        expired,
        ...crossingEvents(crossings, now),
        ...(await budgetIncidents(trx, reservation.tenantId, crossings, now)),
      ],
    };
  }
}

async function lockReservation(
  trx: Trx,
  dialect: Dialect,
  by: { id: string } | { decisionId: string },
): Promise<ReservationRow | null> {
  let query = trx.selectFrom('budget_reservations').selectAll();
  query = 'id' in by ? query.where('id', '=', by.id) : query.where('decision_id', '=', by.decisionId);
  if (dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    agentId: row.agent_id,
    decisionId: row.decision_id,
    status: row.status as ReservationRow['status'],
    charges: JSON.parse(row.charges) as HeldCharge[],
  };
}
