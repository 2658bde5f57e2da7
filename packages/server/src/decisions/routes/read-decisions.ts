import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { DecisionReader } from '../decision-reader.js';

const TaskIdParam = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' });
const readers = { kind: 'human', roles: ['security', 'auditor', 'owner'] } as const;

/** `GET /v1/decisions/:id` and `GET /v1/tasks/:id/trace`: what an agent did, in order, with outcomes. */
export function registerReadDecisionRoutes(app: App, reader: DecisionReader) {
  app.get(
    '/v1/decisions/:id',
    {
      config: { auth: readers },
      schema: {
        tags: ['decisions'],
        summary: 'One decision with its arguments and outcome',
        params: Type.Object({ id: IdOf('dec') }),
        response: errorResponses(404),
      },
    },
    async (request) => ({ decision: await reader.decision(humanOf(request), request.params.id) }),
  );

  app.get(
    '/v1/tasks/:id/trace',
    {
      config: { auth: readers },
      schema: {
        tags: ['decisions'],
        summary: 'The ordered execution trace of a task',
        params: Type.Object({ id: TaskIdParam }),
        response: errorResponses(404),
      },
    },
    async (request) => reader.trace(humanOf(request), request.params.id),
  );
}
