import type { JsonObject } from '@warden/policy';
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { invalidField } from '../errors.js';
import type { Storage } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import type { AuditActor } from './audit-log.js';
import type { PayloadSealer } from './sealing/payload-sealer.js';
import type { StoredEvent } from './stored-event.js';

/** Which events to read; every field narrows, and all of them hold at once. */
export interface EventFilter {
  readonly agent?: string;
  /** Exact, or a prefix when it ends with `*`. */
  readonly tool?: string;
  /** Exact, or a prefix when it ends with `.*` (e.g. `decision.*`). */
  readonly type?: string;
  readonly effect?: string;
  readonly outcome?: string;
  readonly task?: string;
  readonly onBehalfOf?: string;
  /** A rule id among the event's rules. */
  readonly rule?: string;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
}

export type EventOrder = 'asc' | 'desc';

export interface EventPageRequest {
  readonly filter: EventFilter;
  readonly limit: number;
  readonly order: EventOrder;
  readonly cursor?: string;
}

/** An event as a reader sees it: its clear fields, its payload opened, its leaf hash. */
export interface AuditEventView {
  readonly id: string;
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly actor: AuditActor;
  readonly subject: { readonly type: string; readonly id: string };
  readonly task: { readonly id: string; readonly parent?: string } | null;
  readonly tool: string | null;
  readonly effect: string | null;
  readonly outcome: string | null;
  readonly rules: readonly string[];
  readonly policyVersion: string | null;
  readonly redactions: { readonly [detector: string]: number };
  /** Null once the payload's retention key is destroyed. */
  readonly payload: JsonObject | null;
  readonly shredded: boolean;
  readonly leafHash: string;
}

/** The stored columns an event is rebuilt from. */
export interface EventRow {
  readonly body: string;
  readonly leaf_hash: string;
}

/**
 * Reads a tenant's audit events, filtered, a page at a time in log order. Pages are keyset on the
 * sequence number, so appends during paging neither repeat nor skip events.
 */
export class AuditReader {
  constructor(
    private readonly storage: Storage,
    private readonly sealer: PayloadSealer,
  ) {}

  async events(
    tenantId: string,
    page: EventPageRequest,
  ): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, page.order);
    // Two steps: the filter picks the page's sequence numbers from the indexes alone (the time, task,
    // type and agent indexes end in seq, so they also hand them over in order), then only those
    // rows are read whole. Reading the bodies in the first step would carry every matching row's
    // body through the sort of a time range.
    let query = this.storage.db.selectFrom('audit_events').select('seq').where('tenant_id', '=', tenantId);
    const filter = page.filter;
    if (hasConditions(filter))
      query = query.where((eb) => eb.and(conditions(eb, filter, this.storage.dialect)));
    if (after !== undefined) query = query.where('seq', page.order === 'asc' ? '>' : '<', after);
    // One row more than asked tells whether another page follows.
    const picked = await query
      .orderBy('seq', page.order)
      .limit(page.limit + 1)
      .execute();
    const seqs = picked.map((row) => Number(row.seq));
    const bodies =
      seqs.length === 0
        ? []
        : await this.storage.db
            .selectFrom('audit_events')
            .select(['seq', 'body', 'leaf_hash'])
            .where('tenant_id', '=', tenantId)
            .where('seq', 'in', seqs.slice(0, page.limit))
            .execute();
    const bySeq = new Map(bodies.map((row) => [Number(row.seq), row]));
    // Events are never deleted (the log is append-only), so every picked seq has its row.
    const shown = seqs.slice(0, page.limit).flatMap((seq) => bySeq.get(seq) ?? []);
    // One at a time: a page's events share few keys, and the first read of each fills the cache
    // that the rest then use, instead of all of them missing it at once.
    const events: AuditEventView[] = [];
    for (const row of shown) events.push(await openEvent(this.sealer, tenantId, row));
    const last = shown.at(-1);
    return {
      events,
      nextCursor: seqs.length > page.limit && last ? encodeCursor(page.order, Number(last.seq)) : null,
    };
  }
}

/** The event of a stored row with its payload opened (and its data-subject values, where kept). */
export async function openEvent(
  sealer: PayloadSealer,
  tenantId: string,
  row: EventRow,
): Promise<AuditEventView> {
  const event = JSON.parse(row.body) as StoredEvent;
  const payload = await sealer.openPayload(tenantId, event.id, event.payload);
  return {
    id: event.id,
    seq: event.seq,
    time: event.time,
    type: event.type,
    actor: event.actor,
    subject: event.subject,
    task: event.task ?? null,
    tool: event.tool ?? null,
    effect: event.effect ?? null,
    outcome: event.outcome ?? null,
    rules: event.rules ?? [],
    policyVersion: event.policyVersion ?? null,
    redactions: event.redactions ?? {},
    payload,
    shredded: payload === null,
    leafHash: row.leaf_hash,
  };
}

type Builder = ExpressionBuilder<Database, 'audit_events'>;

function hasConditions(filter: EventFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined);
}

function conditions(eb: Builder, filter: EventFilter, dialect: Storage['dialect']): Expression<SqlBool>[] {
  const where: Expression<SqlBool>[] = [];
  if (filter.agent !== undefined) where.push(eb('agent_id', '=', filter.agent));
  if (filter.tool !== undefined) where.push(textMatch('tool', filter.tool, '*'));
  if (filter.type !== undefined) where.push(textMatch('type', filter.type, '*'));
  if (filter.effect !== undefined) where.push(eb('effect', '=', filter.effect));
  if (filter.outcome !== undefined) where.push(eb('outcome', '=', filter.outcome));
  if (filter.task !== undefined) where.push(eb('task_id', '=', filter.task));
  if (filter.onBehalfOf !== undefined) where.push(eb('on_behalf_of', '=', filter.onBehalfOf));
  if (filter.rule !== undefined) where.push(containsText('rules', JSON.stringify(filter.rule), dialect));
  if (filter.from !== undefined) where.push(eb('created_at', '>=', filter.from));
  if (filter.to !== undefined) where.push(eb('created_at', '<', filter.to));
  return where;
}

/**
 * Equality, or a prefix match when the value ends with the wildcard. Compared with substr rather
 * than LIKE: SQLite's LIKE ignores case and PostgreSQL's does not, and tool names are case-sensitive.
 */
function textMatch(column: 'tool' | 'type', value: string, wildcard: string): Expression<SqlBool> {
  if (!value.endsWith(wildcard)) return sql<SqlBool>`${sql.ref(column)} = ${value}`;
  const prefix = value.slice(0, -wildcard.length);
  // substr counts characters (code points) on both databases, not UTF-16 units.
  return sql<SqlBool>`substr(${sql.ref(column)}, 1, ${sql.lit([...prefix].length)}) = ${prefix}`;
}

/**
 * Whether the column's text holds the needle, exactly and case-sensitively. The rules column is a
 * JSON array of rule ids, so the needle `"<rule>"` (quotes included) matches whole ids only; and a
 * plain substring search needs no escaping of LIKE's wildcards, which rule ids may contain (`_`).
 */
function containsText(column: 'rules', needle: string, dialect: Storage['dialect']): Expression<SqlBool> {
  return dialect === 'postgres'
    ? sql<SqlBool>`strpos(${sql.ref(column)}, ${needle}) > 0`
    : sql<SqlBool>`instr(${sql.ref(column)}, ${needle}) > 0`;
}

// The cursor is opaque to clients; inside it names the order it was made for and the last seq shown.
const CURSOR = /^(asc|desc):(\d{1,16})$/;

function encodeCursor(order: EventOrder, seq: number): string {
  return Buffer.from(`${order}:${seq}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, order: EventOrder): number {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || Buffer.from(match[0], 'utf8').toString('base64url') !== cursor)
    throw invalidField('querystring.cursor', 'is not a cursor this API returned');
  if (match[1] !== order)
    throw invalidField(
      'querystring.cursor',
      `was made for order=${match[1]}; pass the same order to continue`,
    );
  return Number(match[2]);
}
