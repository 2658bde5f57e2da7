import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf } from '../../http/schemas.js';
import type { ApprovalReader } from '../approval-reader.js';
import { approvalJson } from '../approval-view.js';
import { ApprovalSchema } from './approval-schemas.js';

const Query = Type.Object(
  {
    status: Type.Optional(Type.Enum(['pending', 'approved', 'denied', 'expired', 'cancelled'])),
    kind: Type.Optional(Type.Enum(['action', 'access', 'registration', 'promotion'])),
    agentId: Type.Optional(IdOf('agt')),
    mine: Type.Optional(Type.Boolean({ description: 'only requests waiting for my decision' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    cursor: Type.Optional(IdOf('apr')),
  },
  { additionalProperties: false },
);

const Page = Type.Object({
  approvals: Type.Array(ApprovalSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** GET /v1/approvals: requests newest first; `mine=true` is "pending for me", `agentId` an agent's history. */
export function registerListApprovals(app: App, reader: ApprovalReader): void {
  app.get(
    '/v1/approvals',
    {
      config: { auth: { kind: 'human' } },
      schema: {
        tags: ['approvals'],
        summary: 'List approval requests',
        querystring: Query,
        response: { 200: Page, ...errorResponses() },
      },
    },
    async (request) => {
      const { limit, mine, ...filter } = request.query;
      const page = await reader.list(humanOf(request), {
        ...filter,
        ...(mine ? { mine: true, status: 'pending' as const } : {}),
        limit: limit ?? 50,
      });
      return {
        approvals: page.items.map((view) => approvalJson(view, { self: `/v1/approvals/${view.request.id}` })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
