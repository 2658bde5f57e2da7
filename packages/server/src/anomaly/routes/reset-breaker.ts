import { Type } from 'typebox';
import { AgentParams, AgentSchema, agentJson } from '../../agents/routes/agent-schemas.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, StrictObject } from '../../http/schemas.js';
import type { CircuitBreaker } from '../circuit-breaker.js';

const Body = StrictObject({ comment: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) });

/**
 * POST /v1/agents/:id/breaker/reset: a human (admin, security, or the agent's owner) closes a
 * tripped circuit breaker. A request without a body counts as an empty one.
 */
export function registerResetBreaker(app: App, breaker: CircuitBreaker): void {
  app.post(
    '/v1/agents/:id/breaker/reset',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: "Reset an agent's circuit breaker (admin, security, owner)",
        params: AgentParams,
        body: Body,
        response: { 200: Type.Object({ agent: AgentSchema }), ...errorResponses(404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const principal = humanOf(request);
      const agent = await breaker.reset(
        principal,
        principal.tenantId,
        request.params.id,
        request.body.comment,
      );
      return { agent: agentJson(agent) };
    },
  );
}
