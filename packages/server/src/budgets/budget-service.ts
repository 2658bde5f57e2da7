import { findAgent } from '../agents/agent-store.js';
import type { AuditActor, AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { applicableCounters } from './applicable.js';
import { type Budget, formatAmount, fromBase } from './budget.js';
import type { BudgetCache } from './budget-cache.js';
import { type BudgetDefinition, type BudgetInput, checkBudget } from './budget-input.js';
import {
  deleteBudget,
  findBudget,
  insertBudget,
  isBudgetNameTaken,
  listBudgets,
  replaceConfigBudgets,
  updateBudget,
} from './budget-store.js';
import { type BudgetWindow, windowOf } from './windows.js';

export interface BudgetServiceDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly cache: BudgetCache;
  /** Percentages used when a budget names no thresholds. */
  readonly defaultThresholds: readonly number[];
  readonly clock: () => number;
}

/** A counter as people read it: how much of a budget one agent, task, role or the tenant has used. */
export interface CounterView {
  readonly budget: Budget;
  readonly counter: string;
  readonly windowStart: number | null;
  readonly windowEnd: number | null;
  readonly used: number;
  readonly reserved: number;
  readonly spent: number;
}

/**
 * Budget definitions: created, changed and removed by admins and security through the API, or
 * managed by the budgets file (those answer 409 to the API). Every change is audited and signalled,
 * so every node's decide path sees it on its next call.
 */
export class BudgetService {
  constructor(private readonly deps: BudgetServiceDeps) {}

  list(tenantId: string): Promise<Budget[]> {
    return listBudgets(this.deps.storage.db, tenantId);
  }

  async get(tenantId: string, id: string): Promise<Budget> {
    const budget = await findBudget(this.deps.storage.db, tenantId, id);
    if (!budget) throw notFound('budget', id);
    return budget;
  }

  async create(principal: HumanPrincipal, input: BudgetInput): Promise<Budget> {
    const definition = checkBudget(input, 'body', this.deps.defaultThresholds);
    const { tenantId } = principal;
    const now = this.deps.clock();
    const budget: Budget = {
      ...definition,
      id: newId('bgt', now),
      tenantId,
      source: 'api',
      createdAt: now,
      updatedAt: now,
    };
    await writeTransaction(this.deps.storage, async (trx) => {
      await this.checkAgent(trx, tenantId, definition);
      if (await isBudgetNameTaken(trx, tenantId, budget.name)) {
        throw new WardenError('conflict', `body.name: a budget named ${budget.name} already exists`, {
          field: 'body.name',
        });
      }
      await insertBudget(trx, budget);
      await this.deps.audit.append(trx, tenantId, [this.event('create', actorOf(principal), budget, now)]);
    });
    await this.changed(tenantId);
    return budget;
  }

  async update(principal: HumanPrincipal, id: string, patch: Partial<BudgetInput>): Promise<Budget> {
    const { tenantId } = principal;
    const now = this.deps.clock();
    const updated = await writeTransaction(this.deps.storage, async (trx) => {
      const current = await findBudget(trx, tenantId, id);
      if (!current) throw notFound('budget', id);
      refuseConfigManaged(current);
      const definition = checkBudget(
        { ...inputOf(current), ...patch, name: patch.name ?? current.name },
        'body',
        current.thresholds,
      );
      await this.checkAgent(trx, tenantId, definition);
      if (definition.name !== current.name && (await isBudgetNameTaken(trx, tenantId, definition.name))) {
        throw new WardenError('conflict', `body.name: a budget named ${definition.name} already exists`, {
          field: 'body.name',
        });
      }
      const next: Budget = { ...current, ...definition, updatedAt: now };
      await updateBudget(trx, next);
      await this.deps.audit.append(trx, tenantId, [this.event('update', actorOf(principal), next, now)]);
      return next;
    });
    await this.changed(tenantId);
    return updated;
  }

  async remove(principal: HumanPrincipal, id: string): Promise<Budget> {
    const { tenantId } = principal;
    const now = this.deps.clock();
    const removed = await writeTransaction(this.deps.storage, async (trx) => {
      const current = await findBudget(trx, tenantId, id);
      if (!current) throw notFound('budget', id);
      refuseConfigManaged(current);
      await deleteBudget(trx, tenantId, id);
      await this.deps.audit.append(trx, tenantId, [this.event('delete', actorOf(principal), current, now)]);
      return current;
    });
    await this.changed(tenantId);
    return removed;
  }

  /** Makes the file-managed budgets of a tenant what the budgets file says (at start). */
  async applyFile(
    tenantId: string,
    definitions: readonly BudgetDefinition[],
    timeZone?: string,
  ): Promise<void> {
    const now = this.deps.clock();
    const actor: AuditActor = { type: 'system', id: 'budgets-file' };
    await writeTransaction(this.deps.storage, async (trx) => {
      const changes = await replaceConfigBudgets(trx, tenantId, definitions, now);
      const events: AuditEventInput[] = [
        ...changes.created.map((b) => this.event('create', actor, b, now)),
        ...changes.updated.map((b) => this.event('update', actor, b, now)),
        ...changes.deleted.map((b) => this.event('delete', actor, b, now)),
      ];
      if (timeZone !== undefined) {
        const tenant = await trx
          .selectFrom('tenants')
          .select('time_zone')
          .where('id', '=', tenantId)
          .executeTakeFirst();
        if (tenant && tenant.time_zone !== timeZone) {
          await trx.updateTable('tenants').set({ time_zone: timeZone }).where('id', '=', tenantId).execute();
          events.push({
            type: 'tenant.update',
            actor,
            subject: { type: 'tenant', id: tenantId },
            payload: { timeZone: { from: tenant.time_zone, to: timeZone } },
            at: now,
          });
        }
      }
      if (events.length > 0) await this.deps.audit.append(trx, tenantId, events);
    });
    await this.changed(tenantId);
  }

  /** The window of a budget holding now, in the tenant's time zone. */
  async currentWindow(tenantId: string, budget: Budget): Promise<BudgetWindow> {
    const { timeZone } = await this.deps.cache.get(tenantId);
    return windowOf(budget.period, timeZone, this.deps.clock());
  }

  /** The counters of one budget in its current window, most used first. */
  async counters(tenantId: string, budget: Budget, limit: number): Promise<CounterView[]> {
    const now = this.deps.clock();
    const { timeZone } = await this.deps.cache.get(tenantId);
    const window = windowOf(budget.period, timeZone, now);
    const rows = await this.deps.storage.db
      .selectFrom('budget_counters')
      .selectAll()
      .where('budget_id', '=', budget.id)
      .where('window_start', '=', window.start)
      .orderBy((eb) => eb('spent', '+', eb.ref('reserved')), 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      budget,
      counter: row.subject,
      windowStart: budget.period === 'task' ? null : window.start,
      windowEnd: window.end,
      used: Number(row.spent) + Number(row.reserved),
      reserved: Number(row.reserved),
      spent: Number(row.spent),
    }));
  }

  /** Every budget that governs an agent now, with its counter: what the agent has left. */
  async forAgent(tenantId: string, agentId: string): Promise<CounterView[]> {
    const agent = await findAgent(this.deps.storage.db, tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    const now = this.deps.clock();
    const { budgets, timeZone } = await this.deps.cache.get(tenantId);
    const refs = applicableCounters(budgets, agent, null, timeZone, now);
    const out: CounterView[] = [];
    for (const ref of refs) {
      const row = await this.deps.storage.db
        .selectFrom('budget_counters')
        .selectAll()
        .where('budget_id', '=', ref.budget.id)
        .where('subject', '=', ref.subject)
        .where('window_start', '=', ref.window.start)
        .executeTakeFirst();
      const reserved = Number(row?.reserved ?? 0);
      const spent = Number(row?.spent ?? 0);
      out.push({
        budget: ref.budget,
        counter: ref.subject,
        windowStart: ref.budget.period === 'task' ? null : ref.window.start,
        windowEnd: ref.window.end,
        used: reserved + spent,
        reserved,
        spent,
      });
    }
    return out;
  }

  private async checkAgent(
    trx: Parameters<typeof findAgent>[0],
    tenantId: string,
    definition: BudgetDefinition,
  ): Promise<void> {
    if (definition.agentId && !(await findAgent(trx, tenantId, definition.agentId))) {
      throw new WardenError('invalid_request', `body.agentId: agent ${definition.agentId} not found`, {
        field: 'body.agentId',
      });
    }
  }

  private event(
    verb: 'create' | 'update' | 'delete',
    actor: AuditActor,
    budget: Budget,
    now: number,
  ): AuditEventInput {
    return {
      type: `budget.${verb}`,
      actor,
      subject: { type: 'budget', id: budget.id },
      payload: {
        name: budget.name,
        scope: budget.scope,
        agentId: budget.agentId,
        tier: budget.tier,
        role: budget.role,
        period: budget.period,
        unit: budget.unit,
        limit: formatAmount(budget.unit, budget.limit),
        thresholds: [...budget.thresholds],
        onLimit: budget.onLimit,
        suspendAgent: budget.suspendAgent,
        source: budget.source,
      },
      at: now,
    };
  }

  private async changed(tenantId: string): Promise<void> {
    await this.deps.signals.publish({ type: 'budgets.changed', tenantId });
  }
}

function actorOf(principal: HumanPrincipal): AuditActor {
  return { type: 'human', id: principal.humanId };
}

function refuseConfigManaged(budget: Budget): void {
  if (budget.source === 'config') {
    throw new WardenError(
      'conflict',
      `budget ${budget.name} is managed by the budgets file (WARDEN_BUDGETS_FILE); change it there`,
      { source: 'config' },
    );
  }
}

/** A stored budget as the input it could have been created from (for patches). */
function inputOf(budget: Budget): BudgetInput {
  return {
    name: budget.name,
    scope: budget.scope,
    agentId: budget.agentId,
    tier: budget.tier,
    role: budget.role,
    period: budget.period,
    unit: budget.unit,
    limit: fromBase(budget.unit, budget.limit),
    thresholds: budget.thresholds,
    onLimit: budget.onLimit,
    suspendAgent: budget.suspendAgent,
  };
}
