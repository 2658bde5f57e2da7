import { Type } from 'typebox';
import { isGuardian, isOwnerOf } from '../../agents/agent-access.js';
import { AgentParams, AgentSchema, agentJson } from '../../agents/routes/agent-schemas.js';
import { forbidden } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses } from '../../http/schemas.js';
import type { KillService } from '../kill-service.js';
import { CancelledApprovals, NO_REASON, OptionalReasonBody } from './kill-schemas.js';

/**
 * POST /v1/kill/agents/:id: suspends one agent at once, on every node, and cancels its pending
 * approvals. Admin, security, or the agent's owner. Killing a suspended agent again is a no-op.
 */
export function registerKillAgent(app: App, kill: KillService): void {
  app.post(
    '/v1/kill/agents/:id',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['kill'],
        summary: 'Kill switch: suspend one agent (admin, security, or its owner)',
        params: AgentParams,
        body: OptionalReasonBody,
        response: {
          200: Type.Object({
            agent: AgentSchema,
            changed: Type.Boolean(),
            cancelledApprovals: CancelledApprovals,
          }),
          ...errorResponses(404, 409),
        },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const principal = humanOf(request);
      const result = await kill.killAgent(
        { type: 'human', id: principal.humanId },
        principal.tenantId,
        request.params.id,
        request.body.reason ?? NO_REASON,
        (agent) => {
          if (!isGuardian(principal) && !isOwnerOf(principal, agent)) {
            throw forbidden(`only an admin, security, or the owner of agent ${agent.name} may kill it`);
          }
        },
      );
      return {
        agent: agentJson(result.agent),
        changed: result.changed,
        cancelledApprovals: result.cancelled.map((r) => r.id),
      };
    },
  );
}
