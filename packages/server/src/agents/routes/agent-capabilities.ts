import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, toIso } from '../../http/schemas.js';
import type { AgentCapabilities } from '../capabilities.js';
import { AgentParams, AgentSchema, agentJson } from './agent-schemas.js';

const EffectSchema = Type.Enum(['allow', 'review', 'deny']);

const Response = Type.Object({
  agent: AgentSchema,
  policyVersion: Type.Union([Type.String(), Type.Null()]),
  defaultEffect: Type.Literal('deny'),
  tools: Type.Array(
    Type.Object({
      tool: Type.String(),
      effect: EffectSchema,
      conditional: Type.Boolean(),
      via: Type.Enum(['policy', 'grant']),
      grantIds: Type.Array(Type.String()),
      rules: Type.Array(
        Type.Object({
          policy: Type.String(),
          kind: Type.Enum(['Policy', 'Guardrail']),
          rule: Type.String(),
          effect: EffectSchema,
          owner: Type.String(),
          description: Type.String(),
          when: Type.Union([Type.String(), Type.Null()]),
        }),
      ),
    }),
  ),
  grants: Type.Array(
    Type.Object({ id: Type.String(), tools: Type.Array(Type.String()), expiresAt: IsoTime }),
  ),
  unavailableServers: Type.Array(Type.Object({ server: Type.String(), reason: Type.String() })),
});

/** GET /v1/agents/:id/capabilities: what the agent can do under the active policies and its grants. */
export function registerAgentCapabilities(app: App, capabilities: AgentCapabilities): void {
  app.get(
    '/v1/agents/:id/capabilities',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['agents'],
        summary: 'What an agent can do: each known tool allowed, reviewed or denied, and why',
        params: AgentParams,
        response: { 200: Response, ...errorResponses(404) },
      },
    },
    async (request) => {
      const view = await capabilities.of(humanOf(request).tenantId, request.params.id);
      return {
        agent: agentJson(view.agent),
        policyVersion: view.policyVersion,
        defaultEffect: 'deny' as const,
        tools: view.tools.map((t) => ({ ...t, rules: [...t.rules], grantIds: [...t.grantIds] })),
        grants: view.grants.map((g) => ({ id: g.id, tools: [...g.tools], expiresAt: toIso(g.expiresAt) })),
        unavailableServers: [...view.unavailableServers],
      };
    },
  );
}
