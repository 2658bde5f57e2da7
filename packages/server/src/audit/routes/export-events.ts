import { Readable } from 'node:stream';
import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses, IsoTime } from '../../http/schemas.js';
import type { AuditExporter } from '../audit-export.js';
import { EVENT_READERS } from './audit-schemas.js';

const Query = Type.Object(
  {
    format: Type.Enum(['jsonl', 'csv']),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);

/**
 * GET /v1/audit/export: a time range of the log as a download, streamed page by page. JSONL is the
 * verifiable export (`warden audit verify` checks it offline); CSV is for spreadsheets.
 */
export function registerExportEvents(app: App, exporter: AuditExporter): void {
  app.get(
    '/v1/audit/export',
    {
      config: { auth: EVENT_READERS },
      schema: {
        tags: ['audit'],
        summary: 'Export the audit log as JSONL (verifiable) or CSV (admin, auditor)',
        querystring: Query,
        response: errorResponses(503),
      },
    },
    async (request, reply) => {
      const { format, from, to } = request.query;
      const prepared = await exporter.prepare(humanOf(request).tenantId, {
        format,
        ...(from === undefined ? {} : { from: Date.parse(from) }),
        ...(to === undefined ? {} : { to: Date.parse(to) }),
      });
      return reply
        .header('content-type', prepared.contentType)
        .header('content-disposition', `attachment; filename="${prepared.filename}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(prepared.lines, { objectMode: false }));
    },
  );
}
