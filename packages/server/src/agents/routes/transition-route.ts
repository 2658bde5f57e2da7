import { type TSchema, Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf, type RouteAuth } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses } from '../../http/schemas.js';
import type { AgentLifecycle, Transition } from '../agent-lifecycle.js';
import { AgentParams, AgentSchema, agentJson } from './agent-schemas.js';

const Response = Type.Object({ agent: AgentSchema });

/**
 * The shape every lifecycle endpoint shares: POST /v1/agents/:id/<action>, an optional body with a
 * reason, the changed agent back. A request without a body counts as an empty one.
 */
export function registerTransition(
  app: App,
  lifecycle: AgentLifecycle,
  options: { action: Transition; auth: RouteAuth; summary: string; body: TSchema },
): void {
  app.post(
    `/v1/agents/:id/${options.action}`,
    {
      config: { auth: options.auth },
      schema: {
        tags: ['agents'],
        summary: options.summary,
        params: AgentParams,
        body: options.body,
        response: { 200: Response, ...errorResponses(404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const body = request.body as { reason?: string };
      const agent = await lifecycle.transition(
        humanOf(request),
        request.params.id,
        options.action,
        body.reason,
      );
      return { agent: agentJson(agent) };
    },
  );
}
