import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { BudgetService } from '../budget-service.js';
import { CounterSchema, counterJson } from './budget-schemas.js';

/** GET /v1/agents/:id/budgets: every budget governing the agent now, with what it has used and left. */
export function registerAgentBudgets(app: App, service: BudgetService): void {
  app.get(
    '/v1/agents/:id/budgets',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['budgets'],
        summary: "An agent's budgets and usage",
        params: Type.Object({ id: IdOf('agt') }),
        response: { 200: Type.Object({ budgets: Type.Array(CounterSchema) }), ...errorResponses(404) },
      },
    },
    async (request) => ({
      budgets: (await service.forAgent(humanOf(request).tenantId, request.params.id)).map(counterJson),
    }),
  );
}
