import { createHmac, randomBytes } from 'node:crypto';
import { type Storage, type Trx, writeTransaction } from '../../storage/database.js';
import { open, seal } from './aes-gcm.js';

/**
 * Data keys for sealed audit payloads, one row per key in `audit_keys`, stored wrapped with the
 * key-encryption key that lives in a file outside the database. Destroying a key (retention ended,
 * a data subject's erasure) makes everything it sealed unreadable for good, while the ciphertext, and
 * so every leaf hash, stays as it was.
 *
 * Keys are cached per node. A key created inside a transaction is not cached until it is known to be
 * committed, so a rolled-back transaction can never leave this node sealing with a key nobody stored.
 */
export class AuditKeyStore {
  private readonly cache = new Map<string, Buffer | null>();
  private readonly createdIn = new WeakMap<Trx, Set<string>>();

  constructor(
    private readonly storage: Storage,
    private readonly kek: Buffer,
  ) {}

  /**
   * The key id of a data subject. It names the subject through a keyed digest, so neither the key
   * table nor the log reveals the identifier, nor can it be guessed from a list of likely ones.
   */
  subjectKeyId(tenantId: string, subject: string): string {
    const digest = createHmac('sha256', this.kek).update(`subject\n${tenantId}\n${subject}`).digest('hex');
    return `sub:${digest.slice(0, 32)}`;
  }

  /** The key, created if missing (or re-created after it was destroyed), inside `trx`. */
  async keyForWrite(trx: Trx, tenantId: string, keyId: string, now: number): Promise<Buffer> {
    const cached = this.cache.get(cacheKey(tenantId, keyId));
    if (cached) return cached;
    const stored = await this.readRow(trx, tenantId, keyId);
    if (stored) {
      if (!this.createdIn.get(trx)?.has(keyId)) this.remember(cacheKey(tenantId, keyId), stored);
      return stored;
    }
    const key = randomBytes(32);
    const material = this.wrap(tenantId, keyId, key);
    await trx
      .insertInto('audit_keys')
      .values({ tenant_id: tenantId, id: keyId, material, created_at: now, destroyed_at: null })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'id'])
          // Only a destroyed key is replaced: a live one written by another node wins.
          .doUpdateSet({ material, created_at: now, destroyed_at: null })
          .where('audit_keys.material', 'is', null),
      )
      .execute();
    const created = this.createdIn.get(trx) ?? new Set<string>();
    this.createdIn.set(trx, created.add(keyId));
    const winner = await this.readRow(trx, tenantId, keyId);
    if (!winner) throw new Error(`audit key ${keyId} could not be created`);
    return winner;
  }

  /** The key in its own committed transaction (for sealing before the event's transaction starts). */
  async keyForWriteNow(tenantId: string, keyId: string, now: number): Promise<Buffer> {
    const cached = this.cache.get(cacheKey(tenantId, keyId));
    if (cached) return cached;
    const key = await writeTransaction(this.storage, (trx) => this.keyForWrite(trx, tenantId, keyId, now));
    this.remember(cacheKey(tenantId, keyId), key);
    return key;
  }

  /** The key for opening, or null when it was destroyed or never existed. */
  async keyForRead(tenantId: string, keyId: string): Promise<Buffer | null> {
    const cached = this.cache.get(cacheKey(tenantId, keyId));
    if (cached !== undefined) return cached;
    const key = await this.readRow(this.storage.db, tenantId, keyId);
    this.remember(cacheKey(tenantId, keyId), key);
    return key;
  }

  /** Destroys keys inside `trx`; returns the ids that were live. Call `evict` after commit. */
  async destroy(trx: Trx, tenantId: string, keyIds: readonly string[], now: number): Promise<string[]> {
    if (keyIds.length === 0) return [];
    const rows = await trx
      .updateTable('audit_keys')
      .set({ material: null, destroyed_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', keyIds)
      .where('material', 'is not', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  private remember(key: string, value: Buffer | null): void {
    // Subject keys are many; a bounded cache re-reads now and then rather than growing forever.
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
    this.cache.set(key, value);
  }

  evict(tenantId: string, keyIds: readonly string[]): void {
    for (const keyId of keyIds) this.cache.delete(cacheKey(tenantId, keyId));
  }

  clear(): void {
    this.cache.clear();
  }

  private async readRow(db: Storage['db'], tenantId: string, keyId: string): Promise<Buffer | null> {
    const row = await db
      .selectFrom('audit_keys')
      .select('material')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keyId)
      .executeTakeFirst();
    if (!row?.material) return null;
    const key = open(this.kek, row.material, `${tenantId}|${keyId}`);
    if (key === null)
      throw new Error(`audit key ${keyId} cannot be unwrapped: wrong key-encryption key file?`);
    return Buffer.from(key, 'base64');
  }

  private wrap(tenantId: string, keyId: string, key: Buffer): string {
    return seal(this.kek, key.toString('base64'), `${tenantId}|${keyId}`);
  }
}

const MAX_CACHED_KEYS = 50_000;

function cacheKey(tenantId: string, keyId: string): string {
  return `${tenantId}|${keyId}`;
}
