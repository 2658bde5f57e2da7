import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, NullableIsoTime, StrictObject, toIso } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import type { ShadowBundles } from '../shadow/shadow-bundles.js';
import { shadowReport } from '../shadow/shadow-report.js';
import { PolicyFiles, policyInvalidError } from './policy-files.js';

const Count = Type.Object({ key: Type.String(), transition: Type.String(), count: Type.Integer() });
const NullableString = Type.Union([Type.String(), Type.Null()]);

const ShadowReportSchema = Type.Object({
  running: Type.Union([
    Type.Object({ version: Type.String(), startedAt: IsoTime, startedBy: Type.String() }),
    Type.Null(),
  ]),
  version: NullableString,
  since: NullableIsoTime,
  decisions: Type.Union([Type.Integer(), Type.Null()]),
  divergences: Type.Integer(),
  byRule: Type.Array(
    Type.Object({ ...Count.properties, activeRule: NullableString, shadowRule: NullableString }),
  ),
  byTool: Type.Array(Count),
  byAgent: Type.Array(Count),
  examples: Type.Array(
    Type.Object({
      decisionId: Type.String(),
      agentId: Type.String(),
      tool: Type.String(),
      transition: Type.String(),
      activeRule: NullableString,
      shadowRule: NullableString,
      at: IsoTime,
    }),
  ),
});

/** `POST`/`DELETE /v1/policies/shadow` (start, stop) and `GET /v1/policies/shadow` (the report). */
export function registerShadowRoutes(
  app: App,
  deps: { readonly storage: Storage; readonly shadows: ShadowBundles },
) {
  app.post(
    '/v1/policies/shadow',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['policies'],
        summary: 'Run a candidate bundle beside the active one on live traffic, never enforced',
        body: StrictObject({ files: PolicyFiles }),
        response: {
          200: Type.Object({ version: Type.String(), startedAt: IsoTime, previousVersion: NullableString }),
          ...errorResponses(422),
        },
      },
    },
    async (request) => {
      const human = humanOf(request);
      const started = await deps.shadows.start(human.tenantId, request.body.files, {
        type: 'human',
        id: human.humanId,
      });
      if (!started.ok) throw policyInvalidError(started, 'no shadow bundle was started');
      return {
        version: started.version,
        startedAt: toIso(started.startedAt),
        previousVersion: started.previousVersion,
      };
    },
  );

  app.delete(
    '/v1/policies/shadow',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['policies'],
        summary: "Stop the tenant's shadow bundle (its divergences stay for the report)",
        response: { 200: Type.Object({ version: Type.String() }), ...errorResponses(404) },
      },
    },
    async (request) => {
      const human = humanOf(request);
      return deps.shadows.stop(human.tenantId, { type: 'human', id: human.humanId });
    },
  );

  app.get(
    '/v1/policies/shadow',
    {
      config: { auth: { kind: 'human', roles: ['security', 'auditor'] } },
      schema: {
        tags: ['policies'],
        summary: "The shadow bundle's divergences from the active one, by rule, tool and agent",
        querystring: StrictObject({
          version: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, description: 'a shadow version' }),
          ),
          since: Type.Optional(IsoTime),
        }),
        response: { 200: ShadowReportSchema, ...errorResponses() },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const shadow = deps.shadows.get(tenantId);
      const running = shadow
        ? { version: shadow.bundle.version, startedAt: shadow.startedAt, startedBy: shadow.startedBy }
        : null;
      const { version, since } = request.query;
      const report = await shadowReport(deps.storage, tenantId, running, {
        ...(version ? { version } : {}),
        ...(since ? { since: Date.parse(since) } : {}),
      });
      return {
        ...report,
        running: report.running ? { ...report.running, startedAt: toIso(report.running.startedAt) } : null,
        since: toIso(report.since),
        byRule: [...report.byRule],
        byTool: [...report.byTool],
        byAgent: [...report.byAgent],
        examples: report.examples.map((e) => ({ ...e, at: toIso(e.at) })),
      };
    },
  );
}
