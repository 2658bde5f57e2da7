import { Type } from 'typebox';
import { findAgent } from '../../agents/agent-store.js';
import { Risk } from '../../agents/routes/agent-schemas.js';
import { forbidden, notFound, WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import { ownerScope, readsEveryAgent } from '../drift-access.js';
import { DEFAULT_DRIFT_DAYS, type DriftService, MAX_DRIFT_DAYS } from '../drift-service.js';
import { AgentDriftSchema, DriftReportSchema, driftReportJson } from './drift-json.js';

/** Owners read their own agents' drift; admins, security and auditors every agent's. */
const READERS = { kind: 'human', roles: ['security', 'auditor', 'owner'] } as const;

const Days = Type.Integer({
  minimum: 1,
  maximum: MAX_DRIFT_DAYS,
  description: `the window, in days up to now (default ${DEFAULT_DRIFT_DAYS})`,
});

/** `GET /v1/drift` and `GET /v1/drift/agents/:id`: permission drift, per agent. */
export function registerDriftRoutes(app: App, drift: DriftService, storage: Storage): void {
  app.get(
    '/v1/drift',
    {
      config: { auth: READERS },
      schema: {
        tags: ['drift'],
        summary: "Permission drift: each agent's permissions against what it used (owners: their agents)",
        description:
          'Per agent not retired: the Policy allow/review rules and temporary grants that apply to it, the known tools they open, what it called in the window, and every permission it did not use, with a suggested change. Decisions are aggregated by the database.',
        querystring: Type.Object(
          {
            agent: Type.Optional(IdOf('agt')),
            owner: Type.Optional(IdOf('usr')),
            risk: Type.Optional(Risk),
            days: Type.Optional(Days),
          },
          { additionalProperties: false },
        ),
        response: { 200: DriftReportSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const { agent, risk, days } = request.query;
      const owner = ownerScope(principal, request.query.owner);
      const report = await drift.report(
        principal.tenantId,
        {
          ...(agent ? { agentId: agent } : {}),
          ...(owner ? { ownerId: owner } : {}),
          ...(risk ? { risk } : {}),
        },
        days ?? DEFAULT_DRIFT_DAYS,
      );
      return driftReportJson(report);
    },
  );

  app.get(
    '/v1/drift/agents/:id',
    {
      config: { auth: READERS },
      schema: {
        tags: ['drift'],
        summary: "One agent's permission drift (its owner, admin, security, auditor)",
        params: Type.Object({ id: IdOf('agt') }),
        querystring: Type.Object({ days: Type.Optional(Days) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            window: DriftReportSchema.properties.window,
            policyVersion: DriftReportSchema.properties.policyVersion,
            unavailableServers: DriftReportSchema.properties.unavailableServers,
            agent: AgentDriftSchema,
          }),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const found = await findAgent(storage.db, principal.tenantId, request.params.id);
      if (!found) throw notFound('agent', request.params.id);
      if (!readsEveryAgent(principal) && found.ownerId !== principal.humanId) {
        throw forbidden(
          `only the owner of agent ${found.name}, an admin, security or an auditor may read its drift`,
        );
      }
      if (found.status === 'retired') {
        throw new WardenError('conflict', `agent ${found.name} is retired: it holds no permissions`, {
          status: found.status,
        });
      }
      const report = await drift.report(
        principal.tenantId,
        { agentId: found.id },
        request.query.days ?? DEFAULT_DRIFT_DAYS,
      );
      const json = driftReportJson(report);
      const [agent] = json.agents;
      if (!agent) throw notFound('agent', request.params.id);
      return {
        window: json.window,
        policyVersion: json.policyVersion,
        unavailableServers: json.unavailableServers,
        agent,
      };
    },
  );
}
