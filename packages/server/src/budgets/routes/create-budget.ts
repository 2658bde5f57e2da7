import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { BudgetService } from '../budget-service.js';
import { BudgetSchema, budgetJson, CreateBudgetBody } from './budget-schemas.js';

/** POST /v1/budgets: a new budget (admin or security); it governs the next decision on every node. */
export function registerCreateBudget(app: App, service: BudgetService): void {
  app.post(
    '/v1/budgets',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['budgets'],
        summary: 'Create a budget',
        body: CreateBudgetBody,
        response: { 201: BudgetSchema, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const budget = await service.create(humanOf(request), request.body);
      return reply.code(201).send(budgetJson(budget));
    },
  );
}
