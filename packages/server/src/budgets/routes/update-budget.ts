import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { BudgetService } from '../budget-service.js';
import { BudgetSchema, budgetJson, UpdateBudgetBody } from './budget-schemas.js';

/** PATCH /v1/budgets/:id: change a budget's limit, thresholds or action (admin or security). */
export function registerUpdateBudget(app: App, service: BudgetService): void {
  app.patch(
    '/v1/budgets/:id',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['budgets'],
        summary: 'Change a budget',
        params: Type.Object({ id: IdOf('bgt') }),
        body: UpdateBudgetBody,
        response: { 200: BudgetSchema, ...errorResponses(404, 409) },
      },
    },
    async (request) => budgetJson(await service.update(humanOf(request), request.params.id, request.body)),
  );
}
