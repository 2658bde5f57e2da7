import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, NullableIsoTime, toIso } from '../../http/schemas.js';
import { isoDay } from '../../usage/daily-usage.js';
import { type BudgetUsageReader, readable } from '../budget-usage.js';
import { BudgetSchema, budgetJson } from './budget-schemas.js';

const Response = Type.Object({
  budget: BudgetSchema,
  series: Type.Array(
    Type.Object({ day: Type.String({ description: 'YYYY-MM-DD (UTC)' }), used: Type.Number() }),
  ),
  projection: Type.Object({
    counter: Type.Union([Type.String(), Type.Null()]),
    windowStart: NullableIsoTime,
    windowEnd: NullableIsoTime,
    used: Type.Number(),
    projectedUsed: Type.Number(),
    exhaustsAt: NullableIsoTime,
  }),
});

/** GET /v1/budgets/:id/usage: daily use over the last days and the current window's burn-rate projection. */
export function registerBudgetUsage(app: App, reader: BudgetUsageReader): void {
  app.get(
    '/v1/budgets/:id/usage',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['budgets'],
        summary: "A budget's usage per day and where its current window is heading",
        params: Type.Object({ id: IdOf('bgt') }),
        querystring: Type.Object(
          { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) },
          { additionalProperties: false },
        ),
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => {
      const usage = await reader.read(humanOf(request).tenantId, request.params.id, request.query.days ?? 30);
      const { unit } = usage.budget;
      const round = (value: number) => Math.round(value * 1e6) / 1e6;
      return {
        budget: budgetJson(usage.budget),
        series: usage.series.map((d) => ({ day: isoDay(d.day), used: round(d.amount) })),
        projection: {
          counter: usage.counter,
          windowStart: usage.windowStart === null ? null : toIso(usage.windowStart),
          windowEnd: usage.projection.windowEnd === null ? null : toIso(usage.projection.windowEnd),
          used: readable(unit, usage.used),
          projectedUsed: readable(unit, usage.projection.projectedUsed),
          exhaustsAt: usage.projection.exhaustsAt === null ? null : toIso(usage.projection.exhaustsAt),
        },
      };
    },
  );
}
