import type { App } from '../../http/app.js';
import { agentOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import { parentFromHeaders } from '../../telemetry/telemetry.js';
import type { DecideService } from '../decide-service.js';
import { DecideBody, DecisionSchema, decisionJson } from '../decision-schema.js';

/** `POST /v1/decide`: may this agent make this call? Answered after the decision is audited. */
export function registerDecideRoute(app: App, service: DecideService) {
  app.post(
    '/v1/decide',
    {
      config: { auth: { kind: 'agent' } },
      schema: {
        tags: ['decisions'],
        summary: 'Decide a proposed tool or LLM call',
        body: DecideBody,
        response: { 200: DecisionSchema, ...errorResponses(409, 413, 503) },
      },
    },
    async (request) => {
      // The caller's span (W3C traceparent), when it sent a well-formed one.
      const remote = parentFromHeaders(request.headers);
      const trace = remote ? { parent: remote, remote } : {};
      return decisionJson(await service.decide(agentOf(request), request.body, 'http', trace));
    },
  );
}
