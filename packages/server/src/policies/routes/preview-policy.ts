import { Type } from 'typebox';
import { invalidField } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, StrictObject } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import type { PolicyImpact } from '../impact/policy-impact.js';
import type { PolicyRegistry } from '../policy-registry.js';
import { ImpactReportSchema, impactJson } from './impact-json.js';
import { DurationText, durationField, PolicyFiles, policyInvalidError } from './policy-files.js';

const MAX_WINDOW_SECONDS = 400 * 86_400;

/**
 * `POST /v1/policies/preview`: replays the window's recorded decisions against a candidate bundle
 * and reports every changed verdict. Reads only: nothing is stored, the active version is untouched.
 */
export function registerPreviewPolicy(
  app: App,
  deps: {
    readonly storage: Storage;
    readonly registry: PolicyRegistry;
    readonly impact: PolicyImpact;
    readonly clock: () => number;
  },
) {
  app.post(
    '/v1/policies/preview',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['policies'],
        summary: "A candidate bundle's impact: the window's recorded decisions replayed against it",
        body: StrictObject({
          files: PolicyFiles,
          since: Type.Optional({
            ...DurationText,
            description: 'how far back the window reaches (default 7d)',
          }),
          agents: Type.Optional(
            Type.Array(IdOf('agt'), { maxItems: 1000, description: 'only these agents' }),
          ),
        }),
        response: { 200: ImpactReportSchema, ...errorResponses(422) },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      const { files, since, agents } = request.body;
      const seconds = durationField('body.since', since ?? '7d', 1, MAX_WINDOW_SECONDS);
      if (agents && agents.length > 0) {
        const known = new Set(
          (
            await deps.storage.db
              .selectFrom('agents')
              .select('id')
              .where('tenant_id', '=', tenantId)
              .where('id', 'in', agents)
              .execute()
          ).map((a) => a.id),
        );
        const unknown = agents.findIndex((id) => !known.has(id));
        if (unknown >= 0) throw invalidField(`body.agents[${unknown}]`, `agent ${agents[unknown]} not found`);
      }
      const candidate = deps.impact.candidate(files);
      if (!candidate.ok) throw policyInvalidError(candidate, 'nothing was replayed');
      const now = deps.clock();
      const report = await deps.impact.replay(candidate.bundle, {
        tenantId,
        since: now - seconds * 1000,
        until: now,
        ...(agents && agents.length > 0 ? { agentIds: agents } : {}),
      });
      return impactJson(report, deps.registry.versionOf(tenantId) ?? null);
    },
  );
}
