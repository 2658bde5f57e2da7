import type { App } from '../../http/app.js';
import type { BudgetService } from '../budget-service.js';
import { registerAgentBudgets } from './agent-budgets.js';
import { registerCreateBudget } from './create-budget.js';
import { registerDeleteBudget } from './delete-budget.js';
import { registerGetBudget } from './get-budget.js';
import { registerListBudgets } from './list-budgets.js';
import { registerUpdateBudget } from './update-budget.js';

export function registerBudgetRoutes(app: App, service: BudgetService): void {
  registerListBudgets(app, service);
  registerCreateBudget(app, service);
  registerGetBudget(app, service);
  registerUpdateBudget(app, service);
  registerDeleteBudget(app, service);
  registerAgentBudgets(app, service);
}
