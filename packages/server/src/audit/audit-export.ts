import { invalidField, WardenError } from '../errors.js';
import type { Storage } from '../storage/database.js';
import { csvRow } from './audit-csv.js';
import { currentLogSize, signedCovering } from './audit-proofs.js';
import { openEvent } from './audit-reader.js';
import type { Checkpointer } from './checkpointer.js';
import { rangeDecomposition } from './merkle/index.js';
import { type PayloadSealer, SHREDDED } from './sealing/payload-sealer.js';
import { subtreeReader } from './subtree-store.js';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportRequest {
  readonly format: ExportFormat;
  /** Epoch ms: events created at or after this time. */
  readonly from?: number;
  /** Epoch ms: events created before this time. */
  readonly to?: number;
}

/** What to send: the headers are known before the first line is read from the database. */
export interface PreparedExport {
  readonly contentType: string;
  readonly filename: string;
  readonly lines: AsyncIterable<string>;
}

export interface ExportDeps {
  readonly storage: Storage;
  readonly sealer: PayloadSealer;
  readonly checkpointer: Checkpointer;
  readonly verifierKey: string;
  readonly origin: (tenantId: string) => string;
  readonly clock: () => number;
}

/** Rows read per query: the export streams, it never holds the log in memory. */
const PAGE_SIZE = 500;

export const CSV_COLUMNS = [
  'seq',
  'id',
  'time',
  'type',
  'actor_type',
  'actor_id',
  'on_behalf_of',
  'agent_id',
  'subject_type',
  'subject_id',
  'task_id',
  'tool',
  'effect',
  'outcome',
  'rules',
  'redactions',
  'payload',
] as const;

/**
 * Exports a time range of a tenant's log: as JSONL (version 1, verifiable without the database:
 * events, the signed checkpoints after them and the hashes that tie them together) or as CSV (for
 * spreadsheets, not verifiable). Everything that can fail on input or on signing fails in `prepare`,
 * before a status line is sent.
 */
export class AuditExporter {
  constructor(private readonly deps: ExportDeps) {}

  async prepare(tenantId: string, request: ExportRequest): Promise<PreparedExport> {
    const { from, to } = request;
    if (from !== undefined && to !== undefined && to <= from)
      throw invalidField('querystring.to', 'must be after querystring.from');
    const exportedAt = this.deps.clock();
    const size = await currentLogSize(this.deps.storage, tenantId);
    const range = await this.seqRange(tenantId, size, from, to);
    const filename = `warden-audit-${tenantId}-${fileStamp(exportedAt)}.${request.format}`;
    if (request.format === 'csv') {
      return { contentType: 'text/csv; charset=utf-8', filename, lines: this.csvLines(tenantId, range) };
    }
    // The checkpoint the export ends at: the first signed one at or after its last event.
    const signed = size === 0 ? { size: 0 } : await signedCovering(this.deps, tenantId, range.end);
    if (!signed)
      throw new WardenError('governance_unavailable', 'no signed checkpoint covers the export yet; retry');
    const read = subtreeReader(this.deps.storage.db, tenantId);
    const base64 = (hashes: readonly Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('base64'));
    const header = {
      kind: 'warden.audit.export',
      version: 1,
      tenant: tenantId,
      origin: this.deps.origin(tenantId),
      verifierKey: this.deps.verifierKey,
      exportedAt: new Date(exportedAt).toISOString(),
      from: from === undefined ? null : new Date(from).toISOString(),
      to: to === undefined ? null : new Date(to).toISOString(),
      begin: range.begin,
      end: range.end,
      prefix: base64(await read(rangeDecomposition(0, range.begin))),
    };
    const suffix = {
      kind: 'suffix',
      size: signed.size,
      hashes: base64(await read(rangeDecomposition(range.end, signed.size))),
    };
    return {
      contentType: 'application/x-ndjson; charset=utf-8',
      filename,
      lines: this.jsonlLines(tenantId, header, range, suffix),
    };
  }

  /**
   * Time range to seq range: from the first event at or after `from` to the last one before `to`.
   * Only events already in the log when the export began count, so its end does not move.
   */
  private async seqRange(
    tenantId: string,
    size: number,
    from: number | undefined,
    to: number | undefined,
  ): Promise<{ begin: number; end: number }> {
    const { db } = this.deps.storage;
    const events = db.selectFrom('audit_events').where('tenant_id', '=', tenantId).where('seq', '<', size);
    let begin = 0;
    if (from !== undefined) {
      const first = await events
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('created_at', '>=', from)
        .executeTakeFirst();
      begin = first?.seq ?? size;
    }
    let end = size;
    if (to !== undefined) {
      const last = await events
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('created_at', '<', to)
        .executeTakeFirst();
      end = last?.seq === null || last?.seq === undefined ? 0 : Number(last.seq) + 1;
    }
    return { begin: Number(begin), end: Math.max(Number(begin), end) };
  }

  private async *jsonlLines(
    tenantId: string,
    header: object,
    range: { begin: number; end: number },
    suffix: { size: number; hashes: string[] },
  ): AsyncIterable<string> {
    yield `${JSON.stringify(header)}\n`;
    for await (const rows of this.eventPages(tenantId, range)) {
      let chunk = '';
      for (const row of rows) {
        const { payload } = await openEvent(this.deps.sealer, tenantId, row);
        // The stored body verbatim: its canonical JSON is what the leaf hash covers.
        chunk += `{"kind":"event","event":${row.body},"payload":${JSON.stringify(payload)}}\n`;
      }
      yield chunk;
    }
    let after = range.begin;
    for (;;) {
      const checkpoints = await this.deps.storage.db
        .selectFrom('audit_checkpoints')
        .select(['size', 'note'])
        .where('tenant_id', '=', tenantId)
        .where('size', '>', after)
        .where('size', '<=', suffix.size)
        .orderBy('size')
        .limit(PAGE_SIZE)
        .execute();
      if (checkpoints.length === 0) break;
      yield checkpoints
        .map((c) => `${JSON.stringify({ kind: 'checkpoint', size: c.size, note: c.note })}\n`)
        .join('');
      after = checkpoints[checkpoints.length - 1]?.size ?? suffix.size;
    }
    yield `${JSON.stringify({ kind: 'suffix', ...suffix })}\n`;
  }

  private async *csvLines(tenantId: string, range: { begin: number; end: number }): AsyncIterable<string> {
    yield csvRow(CSV_COLUMNS);
    for await (const rows of this.eventPages(tenantId, range)) {
      let chunk = '';
      for (const row of rows) {
        const event = await openEvent(this.deps.sealer, tenantId, row);
        chunk += csvRow([
          row.seq,
          row.id,
          event.time,
          row.type,
          row.actor_type,
          row.actor_id,
          row.on_behalf_of,
          row.agent_id,
          row.subject_type,
          row.subject_id,
          row.task_id,
          row.tool,
          row.effect,
          row.outcome,
          row.rules,
          Object.keys(event.redactions).length > 0 ? JSON.stringify(event.redactions) : null,
          event.payload === null ? SHREDDED : JSON.stringify(event.payload),
        ]);
      }
      yield chunk;
    }
  }

  private async *eventPages(tenantId: string, range: { begin: number; end: number }) {
    for (let next = range.begin; next < range.end; next += PAGE_SIZE) {
      yield await this.deps.storage.db
        .selectFrom('audit_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('seq', '>=', next)
        .where('seq', '<', Math.min(next + PAGE_SIZE, range.end))
        .orderBy('seq')
        .execute();
    }
  }
}

/** An ISO time usable in a file name on every system: 2026-03-02T10-00-00Z. */
function fileStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
}
