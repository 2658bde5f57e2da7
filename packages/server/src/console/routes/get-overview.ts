import { Type } from 'typebox';
import { AnomalySchema, anomalyJson } from '../../anomaly/routes/list-anomalies.js';
import { fromBase } from '../../budgets/budget.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, toIso } from '../../http/schemas.js';
import { isoDay } from '../../usage/daily-usage.js';
import type { ConsoleOverview, Overview } from '../overview.js';

const Counts = Type.Record(Type.String(), Type.Integer());
const Usd = Type.Object({ usd: Type.Number() });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const Response = Type.Object({
  agents: Type.Object({ byStatus: Counts, byTier: Counts }),
  spend: Type.Object({
    today: Usd,
    month: Usd,
    budgets: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        scope: Type.String(),
        window: Type.String(),
        limit: Type.Number(),
        used: Type.Number(),
        unit: Type.String(),
        percent: Type.Integer(),
        counter: Nullable(Type.String()),
      }),
    ),
    series: Type.Array(Type.Object({ day: Type.String(), usd: Type.Number() })),
  }),
  waiting: Type.Object({ approvals: Type.Integer(), more: Type.Boolean() }),
  incidents: Nullable(
    Type.Object({
      open: Type.Integer(),
      recent: Type.Array(
        Type.Object({
          id: Type.String(),
          kind: Type.String(),
          agentId: Type.String(),
          summary: Type.String(),
          createdAt: IsoTime,
        }),
      ),
    }),
  ),
  decisions24h: Nullable(
    Type.Array(
      Type.Object({ hour: IsoTime, allow: Type.Integer(), review: Type.Integer(), deny: Type.Integer() }),
    ),
  ),
  anomalies: Type.Array(AnomalySchema),
});

const cents = (usd: number) => Math.round(usd * 100) / 100;

function overviewJson(overview: Overview) {
  const { spend, incidents, decisions24h } = overview;
  return {
    agents: overview.agents,
    spend: {
      today: { usd: cents(spend.todayUsd) },
      month: { usd: cents(spend.monthUsd) },
      budgets: spend.budgets.map(({ budget, counter, used }) => ({
        id: budget.id,
        name: budget.name,
        scope: budget.scope,
        window: budget.period,
        limit: fromBase(budget.unit, budget.limit),
        used: Math.round(fromBase(budget.unit, used) * 1e6) / 1e6,
        unit: budget.unit,
        percent: Math.floor((used * 100) / budget.limit),
        counter,
      })),
      series: spend.series.map((d) => ({ day: isoDay(d.day), usd: cents(d.amount) })),
    },
    waiting: overview.waiting,
    incidents: incidents && {
      open: incidents.open,
      recent: incidents.recent.map((i) => ({ ...i, createdAt: toIso(i.createdAt) })),
    },
    decisions24h: decisions24h === null ? null : decisions24h.map((h) => ({ ...h, hour: toIso(h.hour) })),
    anomalies: overview.anomalies.map(anomalyJson),
  };
}

/** GET /v1/console/overview: the console's first page in one request, as far as the caller may read. */
export function registerOverview(app: App, overview: ConsoleOverview): void {
  app.get(
    '/v1/console/overview',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['console'],
        summary:
          "The overview page: agents, spend, what waits for me, incidents, the last day's decisions, anomalies",
        response: { 200: Response, ...errorResponses() },
      },
    },
    async (request) => overviewJson(await overview.read(humanOf(request))),
  );
}
