import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { BudgetService } from '../budget-service.js';
import { BudgetSchema, budgetJson, CounterSchema, counterJson } from './budget-schemas.js';

/** GET /v1/budgets/:id: a budget and its most used counters in the current window. */
export function registerGetBudget(app: App, service: BudgetService): void {
  app.get(
    '/v1/budgets/:id',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['budgets'],
        summary: 'Show a budget and its current counters',
        params: Type.Object({ id: IdOf('bgt') }),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ budget: BudgetSchema, counters: Type.Array(CounterSchema) }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const budget = await service.get(tenantId, request.params.id);
      const counters = await service.counters(tenantId, budget, request.query.limit ?? 50);
      return { budget: budgetJson(budget), counters: counters.map(counterJson) };
    },
  );
}
