import { formatIssue } from '@warden/policy';
import { Type } from 'typebox';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, toIso } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import type { PolicyRegistry } from '../policy-registry.js';
import type { PolicyService } from '../policy-service.js';
import { policiesJson } from './policy-json.js';

export interface PolicyRouteDeps {
  readonly storage: Storage;
  readonly registry: PolicyRegistry;
  readonly policies: PolicyService;
  /** The directory of the default tenant's policies (WARDEN_POLICY_DIR), if configured. */
  readonly policyDir: string | undefined;
  readonly defaultTenantId: string;
}

/** `GET /v1/policies` (the active version and its rules) and `POST /v1/policies/reload`. */
export function registerPolicyRoutes(app: App, deps: PolicyRouteDeps) {
  app.get(
    '/v1/policies',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['policies'],
        summary: 'The active policy version and its rules',
      },
    },
    async (request) => {
      const tenantId = humanOf(request).tenantId;
      const bundle = deps.registry.get(tenantId);
      const active = await deps.storage.db
        .selectFrom('policy_active')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (!bundle) return { version: null, activatedAt: null, activatedBy: null, ruleCount: 0, policies: [] };
      return {
        version: bundle.version,
        activatedAt: active ? toIso(active.activated_at) : null,
        activatedBy: active?.activated_by ?? null,
        ruleCount: bundle.ruleCount,
        policies: policiesJson(bundle),
      };
    },
  );

  app.post(
    '/v1/policies/reload',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['policies'],
        summary: 'Load the policy directory and make it the active version on every node',
        response: {
          200: Type.Object({
            version: Type.String(),
            previousVersion: Type.Union([Type.String(), Type.Null()]),
            changed: Type.Boolean(),
            ruleCount: Type.Integer(),
          }),
          ...errorResponses(409, 422, 503),
        },
      },
    },
    async (request) => {
      const human = humanOf(request);
      if (human.tenantId !== deps.defaultTenantId || !deps.policyDir) {
        throw new WardenError(
          'conflict',
          'this tenant has no policy directory (WARDEN_POLICY_DIR applies to the default tenant)',
        );
      }
      const read = await deps.policies.readDirectory(deps.policyDir);
      const result = read.ok
        ? await deps.policies.activate(human.tenantId, read.files, { type: 'human', id: human.humanId })
        : read;
      if (!result.ok) {
        throw new WardenError(result.code, `${result.message}; the active version is unchanged`, {
          issues: result.issues.map((issue) => ({ ...issue, text: formatIssue(issue) })),
        });
      }
      return {
        version: result.version,
        previousVersion: result.previousVersion,
        changed: result.changed,
        ruleCount: result.ruleCount,
      };
    },
  );
}
