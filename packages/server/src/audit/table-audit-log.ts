import { newId } from '../ids.js';
import type { Trx } from '../storage/database.js';
import type { AuditEventInput, AuditLog, AuditRecord } from './audit-log.js';

/**
 * Audit events in the `audit_events` table. The per-tenant head row is locked (PostgreSQL: row lock
 * held by the upsert until commit; SQLite: the write transaction is already exclusive), so concurrent appends from
 * several nodes get consecutive sequence numbers and never collide.
 */
export class TableAuditLog implements AuditLog {
  async append(trx: Trx, tenantId: string, events: readonly AuditEventInput[]): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    const head = await this.advanceHead(trx, tenantId, events.length);
    const first = head - events.length + 1;
    const records = events.map((event, i) => ({
      ...event,
      id: newId('evt', event.at),
      tenantId,
      seq: first + i,
    }));
    await trx
      .insertInto('audit_events')
      .values(
        records.map((r) => ({
          id: r.id,
          tenant_id: tenantId,
          seq: r.seq,
          type: r.type,
          actor: JSON.stringify(r.actor),
          subject_type: r.subject.type,
          subject_id: r.subject.id,
          payload: JSON.stringify(r.payload),
          created_at: r.at,
        })),
      )
      .execute();
    return records;
  }

  /** Moves the tenant's head by `count` and returns the new head, creating it on the first event. */
  private async advanceHead(trx: Trx, tenantId: string, count: number): Promise<number> {
    const head = await trx
      .insertInto('audit_heads')
      .values({ tenant_id: tenantId, seq: count })
      .onConflict((oc) =>
        oc.column('tenant_id').doUpdateSet((eb) => ({ seq: eb('audit_heads.seq', '+', count) })),
      )
      .returning('seq')
      .executeTakeFirstOrThrow();
    return head.seq;
  }
}
