import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { BudgetService } from '../budget-service.js';
import { BudgetSchema, budgetJson } from './budget-schemas.js';

/** DELETE /v1/budgets/:id: remove a budget (admin or security); answers what was removed. */
export function registerDeleteBudget(app: App, service: BudgetService): void {
  app.delete(
    '/v1/budgets/:id',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['budgets'],
        summary: 'Delete a budget',
        params: Type.Object({ id: IdOf('bgt') }),
        response: { 200: BudgetSchema, ...errorResponses(404, 409) },
      },
    },
    async (request) => budgetJson(await service.remove(humanOf(request), request.params.id)),
  );
}
