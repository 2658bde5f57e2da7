import { Type } from 'typebox';
import { DEFAULT_DRIFT_DAYS } from '../../drift/drift-service.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { absentBodyAsEmpty, errorResponses } from '../../http/schemas.js';
import { progressOf } from '../campaign.js';
import { campaignJson, itemJson, type RecertExporter } from '../recert-export.js';
import type { RecertService } from '../recert-service.js';
import type { RecertSettingsStore } from '../recert-settings.js';
import {
  CAMPAIGN_READERS,
  CampaignParams,
  CampaignSchema,
  CertifyBody,
  ItemParams,
  ItemSchema,
  ProgressSchema,
  SettingsBody,
  SettingsSchema,
  StartBody,
} from './recert-schemas.js';

export interface RecertRouteServices {
  readonly recert: RecertService;
  readonly exporter: RecertExporter;
  readonly settings: RecertSettingsStore;
}

/** Recertification campaigns: start, read, certify, export; and the tenant's campaign settings. */
export function registerRecertRoutes(app: App, services: RecertRouteServices): void {
  const { recert, exporter, settings } = services;

  app.post(
    '/v1/recert/campaigns',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['recert'],
        summary: 'Start a recertification campaign (admin, security)',
        description:
          "Every agent of the scope (not retired) is to be certified by its owner before the deadline; the owners are told. A scope that matches no agent is refused (409). The tenant's settings in force (what happens to unanswered agents, the grace after the deadline) are kept with the campaign.",
        body: StartBody,
        response: {
          201: Type.Object({ campaign: CampaignSchema, progress: ProgressSchema }),
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const started = await recert.start(humanOf(request), {
        name: body.name,
        deadlineAt: Date.parse(body.deadline),
        scope: {
          ...(body.scope?.risk ? { risk: body.scope.risk } : {}),
          ...(body.scope?.owner ? { ownerId: body.scope.owner } : {}),
        },
        driftDays: body.driftDays ?? DEFAULT_DRIFT_DAYS,
      });
      return reply
        .status(201)
        .send({ campaign: campaignJson(started.campaign), progress: progressOf(started.items) });
    },
  );

  app.get(
    '/v1/recert/campaigns',
    {
      config: { auth: CAMPAIGN_READERS },
      schema: {
        tags: ['recert'],
        summary: 'List recertification campaigns, newest first, with their progress',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            campaigns: Type.Array(Type.Object({ campaign: CampaignSchema, progress: ProgressSchema })),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const campaigns = await recert.list(humanOf(request), request.query.limit ?? 50);
      return {
        campaigns: campaigns.map((c) => ({ campaign: campaignJson(c.campaign), progress: c.progress })),
      };
    },
  );

  app.get(
    '/v1/recert/campaigns/:id',
    {
      config: { auth: CAMPAIGN_READERS },
      schema: {
        tags: ['recert'],
        summary: "A campaign's progress and items (an owner sees the items of their agents)",
        params: CampaignParams,
        response: {
          200: Type.Object({
            campaign: CampaignSchema,
            progress: ProgressSchema,
            items: Type.Array(ItemSchema),
          }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const found = await recert.get(humanOf(request), request.params.id);
      return {
        campaign: campaignJson(found.campaign),
        progress: found.progress,
        items: found.items.map(itemJson),
      };
    },
  );

  app.post(
    '/v1/recert/campaigns/:id/agents/:agentId/certify',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['recert'],
        summary: 'Certify an agent of a campaign: keep, reduce or retire (its owner, admin, security)',
        description:
          "keep: it keeps what it holds. reduce: `remove` names rules and temporary grants to take away; grants are revoked now, each rule becomes a change for its policy's owner (file, line, the edit). retire: the agent is retired through its lifecycle.",
        params: ItemParams,
        body: CertifyBody,
        response: {
          200: Type.Object({ campaign: CampaignSchema, item: ItemSchema }),
          ...errorResponses(404, 409),
        },
      },
    },
    async (request) => {
      const { decision, comment, remove } = request.body;
      const done = await recert.certify(humanOf(request), request.params.id, request.params.agentId, {
        decision,
        ...(comment ? { comment } : {}),
        ...(remove ? { remove } : {}),
      });
      return { campaign: campaignJson(done.campaign), item: itemJson(done.item) };
    },
  );

  app.get(
    '/v1/recert/campaigns/:id/export',
    {
      config: { auth: { kind: 'human', roles: ['security', 'auditor'] } },
      schema: {
        tags: ['recert'],
        summary:
          'Export a campaign as evidence: JSON (with its audit events) or CSV (admin, security, auditor)',
        params: CampaignParams,
        querystring: Type.Object({ format: Type.Enum(['json', 'csv']) }, { additionalProperties: false }),
        response: errorResponses(404),
      },
    },
    async (request, reply) => {
      const { format } = request.query;
      const body = await exporter.export(humanOf(request), request.params.id, format);
      return reply
        .header(
          'content-type',
          format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        )
        .header('content-disposition', `attachment; filename="${request.params.id}.${format}"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );

  app.get(
    '/v1/recert/settings',
    {
      config: { auth: { kind: 'human', roles: ['security', 'auditor'] } },
      schema: {
        tags: ['recert'],
        summary: "The tenant's recertification settings (admin, security, auditor)",
        response: { 200: SettingsSchema, ...errorResponses() },
      },
    },
    async (request) => settings.get(humanOf(request).tenantId),
  );

  app.put(
    '/v1/recert/settings',
    {
      config: { auth: { kind: 'human', roles: ['security'] } },
      schema: {
        tags: ['recert'],
        summary:
          'Change what new campaigns do with unanswered agents: suspend or flag, and the grace (admin, security)',
        body: SettingsBody,
        response: { 200: SettingsSchema, ...errorResponses() },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => settings.set(humanOf(request), request.body),
  );
}
