import { newId } from '../ids.js';
import type { Storage, Trx } from '../storage/database.js';
import { type Budget, budgetFromRow, budgetToRow } from './budget.js';
import type { BudgetDefinition } from './budget-input.js';

type Db = Storage['db'] | Trx;

export async function listBudgets(db: Db, tenantId: string): Promise<Budget[]> {
  const rows = await db
    .selectFrom('budgets')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .execute();
  return rows.map(budgetFromRow);
}

export async function findBudget(db: Db, tenantId: string, id: string): Promise<Budget | undefined> {
  const row = await db
    .selectFrom('budgets')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? budgetFromRow(row) : undefined;
}

export async function isBudgetNameTaken(db: Db, tenantId: string, name: string): Promise<boolean> {
  const row = await db
    .selectFrom('budgets')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertBudget(trx: Trx, budget: Budget): Promise<void> {
  await trx.insertInto('budgets').values(budgetToRow(budget)).execute();
}

export async function updateBudget(trx: Trx, budget: Budget): Promise<void> {
  const { tenant_id, id, ...fields } = budgetToRow(budget);
  await trx
    .updateTable('budgets')
    .set(fields)
    .where('tenant_id', '=', tenant_id)
    .where('id', '=', id)
    .execute();
}

export async function deleteBudget(trx: Trx, tenantId: string, id: string): Promise<void> {
  await trx.deleteFrom('budgets').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  // Counters of a deleted budget are history nobody reads; held reservations keep their own amounts.
  await trx.deleteFrom('budget_counters').where('budget_id', '=', id).execute();
}

/**
 * Makes the tenant's file-managed budgets equal `definitions`, matched by name: changed ones keep
 * their id (and so their counters), missing ones go, new ones come. Returns what changed.
 */
export async function replaceConfigBudgets(
  trx: Trx,
  tenantId: string,
  definitions: readonly BudgetDefinition[],
  now: number,
): Promise<{ created: Budget[]; updated: Budget[]; deleted: Budget[] }> {
  const existing = (await listBudgets(trx, tenantId)).filter((b) => b.source === 'config');
  const byName = new Map(existing.map((b) => [b.name, b]));
  const out = { created: [] as Budget[], updated: [] as Budget[], deleted: [] as Budget[] };
  for (const definition of definitions) {
    const current = byName.get(definition.name);
    byName.delete(definition.name);
    if (current) {
      const next: Budget = { ...current, ...definition, updatedAt: now };
      if (JSON.stringify({ ...current, updatedAt: 0 }) === JSON.stringify({ ...next, updatedAt: 0 }))
        continue;
      await updateBudget(trx, next);
      out.updated.push(next);
    } else {
      const budget: Budget = {
        ...definition,
        id: newId('bgt', now),
        tenantId,
        source: 'config',
        createdAt: now,
        updatedAt: now,
      };
      await insertBudget(trx, budget);
      out.created.push(budget);
    }
  }
  for (const gone of byName.values()) {
    await deleteBudget(trx, tenantId, gone.id);
    out.deleted.push(gone);
  }
  return out;
}
