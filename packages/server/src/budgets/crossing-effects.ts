import type { FastifyBaseLogger } from 'fastify';
import type { AuditActor, AuditEventInput } from '../audit/audit-log.js';
import { recordIncident } from '../incidents/record-incident.js';
import type { Notifier } from '../notify/notifier.js';
import type { Storage, Trx } from '../storage/database.js';
import { activeHumans } from '../tenants/active-humans.js';
import { formatAmount } from './budget.js';
import { type BudgetCrossing, crossingEvent, describeCrossing } from './budget-ledger.js';

export const BUDGETS_ACTOR: AuditActor = { type: 'system', id: 'budgets' };

export function crossingEvents(crossings: readonly BudgetCrossing[], now: number): AuditEventInput[] {
  return crossings.map((c) => crossingEvent(c, now));
}

/** A budget that suspends its agent at the limit records an incident when the limit is reached. */
export async function budgetIncidents(
  trx: Trx,
  tenantId: string,
  crossings: readonly BudgetCrossing[],
  now: number,
): Promise<AuditEventInput[]> {
  const events: AuditEventInput[] = [];
  for (const c of crossings) {
    if (c.kind !== 'limit' || !c.budget.suspendAgent) continue;
    const owner = await trx
      .selectFrom('agents')
      .select('owner_id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', c.agentId)
      .executeTakeFirst();
    const { event } = await recordIncident(trx, {
      tenantId,
      kind: 'budget_exceeded',
      agentId: c.agentId,
      decisionId: c.decisionId,
      summary: `${describeCrossing(c)}; the agent is suspended`,
      detail: {
        accountable: { agent: c.agentId, owner: owner?.owner_id ?? null },
        budgetId: c.budget.id,
        budget: c.budget.name,
        limit: formatAmount(c.budget.unit, c.budget.limit),
        used: formatAmount(c.budget.unit, c.used),
      },
      actor: BUDGETS_ACTOR,
      now,
    });
    events.push(event);
  }
  return events;
}

/** Suspends an agent for a system actor (the kill switch's service). */
export interface AgentSuspender {
  suspendAgent(actor: AuditActor, tenantId: string, agentId: string, reason: string): Promise<unknown>;
}

/** What else a crossing causes: an agent's own hard budget running out demotes its trust tier. */
export interface CrossingConsequences {
  afterBudgetCrossings(tenantId: string, crossings: readonly BudgetCrossing[], now: number): Promise<void>;
}

export interface CrossingNoticeDeps {
  readonly storage: Storage;
  readonly notifier: Notifier;
  readonly suspender: AgentSuspender;
  readonly log: FastifyBaseLogger;
  /** The trust tiers' demotion on a hard budget overrun (`trust/`). */
  readonly trust?: CrossingConsequences;
}

/**
 * After the commit that crossed a threshold or reached a limit: tell the agent's owner (and, for
 * tenant and role budgets, the admins), and suspend the agent when its budget says so. Best effort
 * and never awaited by the caller's answer: the budget decision already stands.
 */
export class CrossingNotices {
  constructor(private readonly deps: CrossingNoticeDeps) {}

  async announce(tenantId: string, crossings: readonly BudgetCrossing[], now: number): Promise<void> {
    for (const c of crossings) {
      try {
        await this.announceOne(tenantId, c, now);
      } catch (error) {
        this.deps.log.warn({ err: error, budgetId: c.budget.id }, 'budget notice failed');
      }
    }
    await this.deps.trust?.afterBudgetCrossings(tenantId, crossings, now);
  }

  private async announceOne(tenantId: string, c: BudgetCrossing, now: number): Promise<void> {
    const { storage, notifier } = this.deps;
    const agent = await storage.db
      .selectFrom('agents')
      .select(['name', 'owner_id'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', c.agentId)
      .executeTakeFirst();
    const shared = c.budget.scope === 'tenant' || c.budget.scope === 'role';
    const humans = await activeHumans(storage.db, tenantId, {
      ids: agent ? [agent.owner_id] : [],
      roles: shared ? ['admin'] : [],
    });
    const summary = `${describeCrossing(c)} — agent ${agent?.name ?? c.agentId}`;
    for (const human of humans) {
      await notifier.notify({
        type: c.kind === 'limit' ? 'budget.exhausted' : 'budget.alert',
        tenantId,
        recipient: { humanId: human.id, email: human.email },
        subject: { type: 'budget', id: c.budget.id },
        summary,
        data: {
          budget: c.budget.name,
          agentId: c.agentId,
          unit: c.budget.unit,
          percent: c.percent,
          used: formatAmount(c.budget.unit, c.used),
          limit: formatAmount(c.budget.unit, c.budget.limit),
          windowEnd: c.windowEnd === null ? null : new Date(c.windowEnd).toISOString(),
        },
        at: now,
        collapseKey: `budget:${c.budget.id}:${c.subject}:${c.windowStart}:${c.percent}`,
      });
    }
    if (c.kind === 'limit' && c.budget.suspendAgent) {
      await this.deps.suspender.suspendAgent(BUDGETS_ACTOR, tenantId, c.agentId, describeCrossing(c));
    }
  }
}
