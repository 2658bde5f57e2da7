import { Type } from 'typebox';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses, StrictObject, toIso } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import type { PolicyChanges } from '../policy-changes.js';
import type { PolicyRegistry } from '../policy-registry.js';
import type { PolicyService } from '../policy-service.js';
import { MAX_NOTIFY_FIRST_SECONDS } from '../schedule/policy-settings.js';
import { DurationText, durationField, policyInvalidError } from './policy-files.js';
import { policiesJson } from './policy-json.js';
import { registerPolicySettings } from './policy-settings-routes.js';
import { registerPreviewPolicy } from './preview-policy.js';
import { AffectedAgentSchema, affectedJson, ScheduledVersionSchema, scheduleJson } from './schedule-json.js';
import { registerScheduledPolicies } from './scheduled-policies.js';
import { registerShadowRoutes } from './shadow-routes.js';

const ReloadAnswer = Type.Object({
  outcome: Type.Union([Type.Literal('activated'), Type.Literal('scheduled')]),
  version: Type.String(),
  previousVersion: Type.Union([Type.String(), Type.Null()]),
  changed: Type.Boolean(),
  ruleCount: Type.Integer(),
  affectedAgents: Type.Array(AffectedAgentSchema, {
    description: 'active agents whose recorded allows (last 7 days) the version turns into denies or reviews',
  }),
  schedule: Type.Union([ScheduledVersionSchema, Type.Null()]),
});

export interface PolicyRouteDeps {
  readonly storage: Storage;
  readonly registry: PolicyRegistry;
  readonly policies: PolicyService;
  /** The directory of the default tenant's policies (WARDEN_POLICY_DIR), if configured. */
  readonly policyDir: string | undefined;
  readonly defaultTenantId: string;
  readonly changes: PolicyChanges;
  readonly clock: () => number;
}

/**
 * `GET /v1/policies` (the active version and its rules), `POST /v1/policies/reload`, and the routes
 * of policy changes: preview (impact replay), scheduled versions, settings, shadow bundles.
 */
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
      preValidation: absentBodyAsEmpty,
      schema: {
        tags: ['policies'],
        summary:
          'Load the policy directory and make it the active version on every node (or schedule it, notify-first)',
        body: StrictObject({
          notifyFirst: Type.Optional({
            ...DurationText,
            description:
              "when the version takes allows away from active agents: tell their owners and activate it after this grace period (default: the tenant's setting; 0s: at once)",
          }),
        }),
        response: {
          200: ReloadAnswer,
          202: ReloadAnswer,
          ...errorResponses(409, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const human = humanOf(request);
      if (human.tenantId !== deps.defaultTenantId || !deps.policyDir) {
        throw new WardenError(
          'conflict',
          'this tenant has no policy directory (WARDEN_POLICY_DIR applies to the default tenant)',
        );
      }
      const notifyFirst = request.body.notifyFirst;
      const grace =
        notifyFirst === undefined
          ? undefined
          : durationField('body.notifyFirst', notifyFirst, 0, MAX_NOTIFY_FIRST_SECONDS);
      const read = await deps.policies.readDirectory(deps.policyDir);
      const result = read.ok
        ? await deps.changes.schedules.reload(
            human.tenantId,
            read.files,
            { type: 'human', id: human.humanId },
            grace,
          )
        : read;
      if (!result.ok) throw policyInvalidError(result, 'the active version is unchanged');
      const affectedAgents = result.affectedAgents.map(affectedJson);
      if (result.outcome === 'scheduled') {
        reply.code(202);
        return {
          outcome: result.outcome,
          version: result.schedule.version,
          previousVersion: deps.registry.versionOf(human.tenantId) ?? null,
          changed: false,
          ruleCount: result.ruleCount,
          affectedAgents,
          schedule: scheduleJson(result.schedule),
        };
      }
      const { activation } = result;
      return {
        outcome: result.outcome,
        version: activation.version,
        previousVersion: activation.previousVersion,
        changed: activation.changed,
        ruleCount: activation.ruleCount,
        affectedAgents,
        schedule: null,
      };
    },
  );

  registerPreviewPolicy(app, { ...deps, impact: deps.changes.impact });
  registerScheduledPolicies(app, deps.changes.schedules);
  registerPolicySettings(app, deps.changes.settings);
  registerShadowRoutes(app, { storage: deps.storage, shadows: deps.changes.shadows });
}
