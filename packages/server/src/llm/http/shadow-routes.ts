import { Type } from 'typebox';
import { invalidField } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import { MODEL_ID } from '../provider-entry.js';
import { shadowReport } from '../shadow/shadow-report.js';

/** Who may read the comparison: it shows what the tenant's models answer, and what they cost. */
const READERS = { kind: 'human', roles: ['security', 'auditor'] } as const;
const DEFAULT_WINDOW_MS = 7 * 24 * 3_600_000;

const Query = Type.Object(
  {
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    agent: Type.Optional(IdOf('agt')),
    model: Type.Optional(
      Type.String({ pattern: MODEL_ID.source, description: 'a model id or provider/model, either side' }),
    ),
  },
  { additionalProperties: false },
);

/** `GET /v1/llm/shadow/report`: shadow mode's comparison of each model with its shadow. */
export function registerShadowRoutes(app: App, storage: Storage, clock: () => number): void {
  app.get(
    '/v1/llm/shadow/report',
    {
      config: { auth: READERS },
      schema: {
        tags: ['llm'],
        summary: 'Compare each model with its shadow model over a window (admin, security, auditor)',
        description:
          'Per model pair: calls compared, skipped and failed; tokens, cost, tool-call choices, text similarity and latency of both sides. Default window: the last 7 days.',
        querystring: Query,
        response: {
          200: Type.Object(
            {
              from: IsoTime,
              to: IsoTime,
              truncated: Type.Boolean(),
              pairs: Type.Array(Type.Object({}, { additionalProperties: true })),
            },
            { additionalProperties: false },
          ),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const to = request.query.to ? Date.parse(request.query.to) : clock();
      const from = request.query.from ? Date.parse(request.query.from) : to - DEFAULT_WINDOW_MS;
      if (from >= to) throw invalidField('query.from', 'must be before to');
      const report = await shadowReport(storage, {
        tenantId,
        from,
        to,
        ...(request.query.agent ? { agentId: request.query.agent } : {}),
        ...(request.query.model ? { model: request.query.model } : {}),
      });
      return { ...report, pairs: [...report.pairs] };
    },
  );
}
