import { Type } from 'typebox';
import { AgentParams } from '../../agents/routes/agent-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, NullableIsoTime, toIso } from '../../http/schemas.js';
import { failureRatePercent, withinBudgetPercent } from '../evidence.js';
import type { TrustService, TrustStandingView } from '../trust-service.js';

const Tier = Type.Enum(['sandbox', 'monitored', 'trusted']);

const Criterion = Type.Object({
  name: Type.String(),
  met: Type.Boolean(),
  required: Type.String(),
  actual: Type.String(),
  needs: Type.Union([Type.String(), Type.Null()]),
});

const Response = Type.Object({
  agentId: Type.String(),
  name: Type.String(),
  tier: Tier,
  tierSince: IsoTime,
  lastEvaluatedAt: NullableIsoTime,
  nextTier: Type.Union([Tier, Type.Null()]),
  eligible: Type.Boolean({ description: 'Every criterion of the next tier is met.' }),
  promotion: Type.Enum(['approval', 'automatic', 'off']),
  pendingPromotion: Type.Union([Type.String(), Type.Null()], {
    description: 'The promotion request waiting for the owner and security.',
  }),
  criteria: Type.Array(Criterion),
  evidence: Type.Object({
    daysInTier: Type.Integer(),
    criticalIncidents: Type.Integer(),
    activeDays: Type.Integer(),
    overBudgetDays: Type.Integer(),
    withinBudgetPercent: Type.Number(),
    successes: Type.Integer(),
    failures: Type.Integer(),
    denied: Type.Integer(),
    rejectedReviews: Type.Integer(),
    failureRatePercent: Type.Number(),
  }),
});

const round = (value: number) => Math.round(value * 100) / 100;

/** GET /v1/agents/:id/trust: where the agent stands, each criterion with its figures, what it still needs. */
export function registerAgentTrustRoute(app: App, trust: TrustService): void {
  app.get(
    '/v1/agents/:id/trust',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['trust'],
        summary: "Explain an agent's trust tier and what promotion still needs",
        params: AgentParams,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => trustJson(await trust.explain(humanOf(request).tenantId, request.params.id)),
  );
}

function trustJson(view: TrustStandingView) {
  const { agent, evidence: e, assessment } = view;
  return {
    agentId: agent.id,
    name: agent.name,
    tier: agent.tier,
    tierSince: toIso(view.tierSince),
    lastEvaluatedAt: toIso(view.checkedAt),
    nextTier: assessment.nextTier,
    eligible: assessment.eligible,
    promotion: view.criteria.promotion,
    pendingPromotion: view.pendingPromotion,
    criteria: assessment.checks.map((c) => ({ ...c })),
    evidence: {
      daysInTier: e.daysInTier,
      criticalIncidents: e.criticalIncidents,
      activeDays: e.activeDays,
      overBudgetDays: e.overBudgetDays,
      withinBudgetPercent: round(withinBudgetPercent(e)),
      successes: e.successes,
      failures: e.failures,
      denied: e.denied,
      rejectedReviews: e.rejectedReviews,
      failureRatePercent: round(failureRatePercent(e)),
    },
  };
}
