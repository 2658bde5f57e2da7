import { canonicalJson, type JsonObject } from '@warden/policy';
import { newId } from '../ids.js';
import { allColumns, compiledInsert } from '../storage/compiled-query.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { AuditEventsTable, AuditNodesTable } from '../storage/schema.js';
import type { AuditEventInput, AuditLog, AuditRecord } from './audit-log.js';
import { eventMac } from './event-mac.js';
import { lockLogState, saveLogState } from './log-state.js';
import { leafHash } from './merkle/index.js';
import type { Redactor } from './redaction/index.js';
import type { PayloadSealer } from './sealing/payload-sealer.js';
import { columnsOf, storedEvent } from './stored-event.js';

const insertEvents = compiledInsert<AuditEventsTable>(
  allColumns<AuditEventsTable>()([
    'tenant_id',
    'seq',
    'id',
    'type',
    'created_at',
    'actor_type',
    'actor_id',
    'agent_id',
    'on_behalf_of',
    'subject_type',
    'subject_id',
    'task_id',
    'tool',
    'effect',
    'outcome',
    'rules',
    'body',
    'leaf_hash',
    'mac',
  ]),
  (db, rows) => db.insertInto('audit_events').values(rows),
);
const insertNodes = compiledInsert<AuditNodesTable>(
  allColumns<AuditNodesTable>()(['tenant_id', 'level', 'idx', 'hash']),
  (db, rows) => db.insertInto('audit_nodes').values(rows),
);

/** Told of every append (before its commit), e.g. so the checkpointer can sign every N events. */
export type AppendListener = (tenantId: string, size: number) => void;

/**
 * The tenant's audit trail as an RFC 6962 Merkle log. Each event is redacted, its payload sealed with
 * the retention key, then, under the lock on the tenant's log state, given the next sequence number
 * and stored with its leaf hash; the interior nodes the append completes are stored for proofs, and
 * the compact range is saved so the next append starts from it rather than from the log. Each event
 * also gets a MAC under the deployment's event key, so no node signs a checkpoint over an event that
 * was put into the database some other way.
 */
export class MerkleAuditLog implements AuditLog {
  private readonly listeners = new Set<AppendListener>();

  constructor(
    private readonly dialect: Dialect,
    private readonly redactor: Redactor,
    private readonly sealer: PayloadSealer,
    /** Keys each event's MAC, by which a node later knows the unsigned tail was written by a node. */
    private readonly eventKey: Buffer,
  ) {}

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async append(trx: Trx, tenantId: string, events: readonly AuditEventInput[]): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    // Redaction and sealing need no lock: do them before taking it.
    const prepared = [];
    for (const event of events) {
      const id = newId('evt', event.at);
      const { value, counts } = event.redactions
        ? { value: event.payload, counts: event.redactions }
        : this.redactor.redact(event.payload);
      const payload = await this.sealer.sealPayload(trx, tenantId, id, event.at, value as JsonObject);
      prepared.push({ event, id, payload, counts });
    }

    const now = events[events.length - 1]?.at ?? Date.now();
    const range = await lockLogState(trx, this.dialect, tenantId, now);
    const rows: AuditEventsTable[] = [];
    const nodes: AuditNodesTable[] = [];
    const records: AuditRecord[] = [];
    for (const { event, id, payload, counts } of prepared) {
      const seq = range.size;
      const stored = storedEvent(event, { id, seq, tenantId }, payload, counts);
      const body = canonicalJson(stored);
      const leaf = leafHash(body);
      range.appendLeaf(leaf, (ref, hash) =>
        nodes.push({ tenant_id: tenantId, level: ref.level, idx: ref.index, hash: hash.toString('base64') }),
      );
      rows.push({
        ...columnsOf(stored),
        body,
        leaf_hash: leaf.toString('base64'),
        mac: eventMac(this.eventKey, leaf),
      });
      records.push({ id, tenantId, seq });
    }
    await insertEvents(trx, this.dialect, rows);
    await insertNodes(trx, this.dialect, nodes);
    await saveLogState(trx, this.dialect, tenantId, range, now);
    for (const listener of this.listeners) listener(tenantId, range.size);
    return records;
  }
}
