import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IdOf, IsoTime } from '../../http/schemas.js';
import type { AuditReader } from '../audit-reader.js';
import { AuditEventSchema, auditEventJson, EVENT_READERS } from './audit-schemas.js';

const Query = Type.Object(
  {
    agent: Type.Optional(IdOf('agt')),
    tool: Type.Optional(
      Type.String({
        pattern: '^(?:[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199})?\\*?$',
        minLength: 1,
        description: 'a tool name, or a prefix ending in * (github.*)',
      }),
    ),
    type: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*(?:\\.\\*)?$',
        maxLength: 100,
        description: 'an event type, or a prefix ending in .* (decision.*)',
      }),
    ),
    effect: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
    outcome: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
    task: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' })),
    onBehalfOf: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    rule: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    order: Type.Optional(Type.Enum(['asc', 'desc'])),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const Page = Type.Object({
  events: Type.Array(AuditEventSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** GET /v1/audit/events: the log's events with their payloads, filtered, a page at a time. */
export function registerListEvents(app: App, reader: AuditReader): void {
  app.get(
    '/v1/audit/events',
    {
      config: { auth: EVENT_READERS },
      schema: {
        tags: ['audit'],
        summary: 'Search audit events (admin, auditor)',
        querystring: Query,
        response: { 200: Page, ...errorResponses() },
      },
    },
    async (request) => {
      const { from, to, limit, order, cursor, ...filter } = request.query;
      const page = await reader.events(humanOf(request).tenantId, {
        filter: {
          ...filter,
          ...(from === undefined ? {} : { from: Date.parse(from) }),
          ...(to === undefined ? {} : { to: Date.parse(to) }),
        },
        limit: limit ?? 100,
        order: order ?? 'asc',
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { events: page.events.map(auditEventJson), nextCursor: page.nextCursor };
    },
  );
}
