import type { JsonObject, JsonValue } from '@warden/policy';
import type { Trx } from '../../storage/database.js';
import { isSealedBox, type SealedBox } from '../stored-event.js';
import { open, seal } from './aes-gcm.js';
import type { AuditKeyStore } from './key-store.js';

/** What a reader sees in place of something sealed with a destroyed key. */
export const SHREDDED = '[shredded]';

/**
 * Seals and opens audit data. Every event payload is sealed with its tenant's retention key for the
 * month of the event (`ret:YYYY-MM`): when the retention period ends the key is destroyed and the
 * payloads of that month are gone, while the tree is untouched. Values identifying a data subject are
 * sealed, before that, with the subject's own key (`sub:<digest>`), which `audit shred` destroys.
 */
export class PayloadSealer {
  constructor(private readonly keys: AuditKeyStore) {}

  async sealPayload(
    trx: Trx,
    tenantId: string,
    eventId: string,
    at: number,
    payload: JsonObject,
  ): Promise<SealedBox> {
    const keyId = retentionKeyId(at);
    const key = await this.keys.keyForWrite(trx, tenantId, keyId, at);
    return {
      $sealed: { box: seal(key, JSON.stringify(payload), `${tenantId}|${eventId}|${keyId}`), key: keyId },
    };
  }

  /** The payload, or null when its retention key was destroyed. */
  async openPayload(
    tenantId: string,
    eventId: string,
    payload: SealedBox | JsonObject,
  ): Promise<JsonObject | null> {
    if (!isSealedBox(payload)) return payload;
    const { key: keyId, box } = payload.$sealed;
    const key = await this.keys.keyForRead(tenantId, keyId);
    const text = key ? open(key, box, `${tenantId}|${eventId}|${keyId}`) : null;
    if (text === null) return null;
    return this.openSubjects(tenantId, JSON.parse(text) as JsonValue) as Promise<JsonObject>;
  }

  /** Seals one data-subject identifier with that subject's key (created on first use). */
  async sealSubject(tenantId: string, subject: string, now: number): Promise<SealedBox> {
    const keyId = this.keys.subjectKeyId(tenantId, subject);
    const key = await this.keys.keyForWriteNow(tenantId, keyId, now);
    return { $sealed: { box: seal(key, JSON.stringify(subject), `${tenantId}|${keyId}`), key: keyId } };
  }

  /** A copy of `value` with every subject box opened, or replaced by SHREDDED when its key is gone. */
  async openSubjects(tenantId: string, value: JsonValue): Promise<JsonValue> {
    if (isSealedBox(value)) {
      const { key: keyId, box } = value.$sealed;
      const key = await this.keys.keyForRead(tenantId, keyId);
      const text = key ? open(key, box, `${tenantId}|${keyId}`) : null;
      return text === null ? SHREDDED : (JSON.parse(text) as JsonValue);
    }
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.openSubjects(tenantId, item)));
    if (value !== null && typeof value === 'object') {
      const result: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) result[key] = await this.openSubjects(tenantId, item);
      return result;
    }
    return value;
  }
}

/** Calendar month in UTC: retention is counted from the end of the month an event belongs to. */
export function retentionKeyId(at: number): string {
  return `ret:${new Date(at).toISOString().slice(0, 7)}`;
}
