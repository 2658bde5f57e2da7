import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime, toIso } from '../../http/schemas.js';
import type { PolicyVersionSummary, PolicyVersions } from '../policy-versions.js';
import { policiesJson } from './policy-json.js';

const VersionSummary = Type.Object({
  version: Type.String(),
  activatedAt: IsoTime,
  activatedBy: Type.Union([Type.String(), Type.Null()]),
  ruleCount: Type.Integer(),
  active: Type.Boolean(),
});

function summaryJson(summary: PolicyVersionSummary) {
  return {
    version: summary.version,
    activatedAt: toIso(summary.activatedAt),
    activatedBy: summary.activatedBy,
    ruleCount: summary.ruleCount,
    active: summary.active,
  };
}

/**
 * GET /v1/policies/versions (every version the tenant activated, newest activation first) and
 * GET /v1/policies/versions/:version (one version's policies and rules, and its files' text).
 */
export function registerPolicyVersionRoutes(app: App, versions: PolicyVersions): void {
  app.get(
    '/v1/policies/versions',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['policies'],
        summary: 'The policy versions of the tenant, newest activation first',
        response: { 200: Type.Object({ versions: Type.Array(VersionSummary) }), ...errorResponses() },
      },
    },
    async (request) => ({
      versions: (await versions.list(humanOf(request).tenantId)).map(summaryJson),
    }),
  );

  app.get(
    '/v1/policies/versions/:version',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['policies'],
        summary: "One policy version: its policies and rules, and its files' text",
        params: Type.Object({ version: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' }) }),
        response: errorResponses(404),
      },
    },
    async (request) => {
      const detail = await versions.get(humanOf(request).tenantId, request.params.version);
      return {
        ...summaryJson(detail),
        policies: policiesJson(detail.bundle),
        files: detail.files.map((f) => ({ path: f.path, text: f.text })),
      };
    },
  );
}
