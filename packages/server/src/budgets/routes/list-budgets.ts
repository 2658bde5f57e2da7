import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { BudgetService } from '../budget-service.js';
import { BudgetSchema, budgetJson } from './budget-schemas.js';

/** GET /v1/budgets: every budget of the tenant, by name. */
export function registerListBudgets(app: App, service: BudgetService): void {
  app.get(
    '/v1/budgets',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['budgets'],
        summary: 'List budgets',
        response: { 200: Type.Object({ budgets: Type.Array(BudgetSchema) }), ...errorResponses() },
      },
    },
    async (request) => ({ budgets: (await service.list(humanOf(request).tenantId)).map(budgetJson) }),
  );
}
