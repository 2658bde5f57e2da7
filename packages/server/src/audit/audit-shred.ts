import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { WardenError } from '../errors.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { AuditLog } from './audit-log.js';
import type { AuditKeyStore } from './sealing/key-store.js';

export interface ShredDeps {
  readonly storage: Storage;
  readonly log: AuditLog;
  readonly keys: AuditKeyStore;
  readonly signals: Signals;
  readonly clock: () => number;
}

export interface ShredResult {
  readonly keyId: string;
  /** False when the key was already destroyed by an earlier request. */
  readonly destroyed: boolean;
}

/**
 * A data subject's erasure: destroying the subject's key makes every value sealed with it read as
 * `[shredded]`, in the log and in decision rows, while no leaf hash changes. The request is itself
 * audited, naming the subject only by its key id: the log must not keep what was just erased.
 */
export class AuditShredder {
  constructor(private readonly deps: ShredDeps) {}

  /**
   * Destroys the subject's key. A subject for which nothing was ever sealed is a 404 (and leaves no
   * event: nothing happened); an already destroyed key answers destroyed: false and is audited
   * again, since someone asked.
   */
  async shred(principal: HumanPrincipal, subject: string): Promise<ShredResult> {
    const { storage, keys, log, signals, clock } = this.deps;
    const { tenantId } = principal;
    const keyId = keys.subjectKeyId(tenantId, subject);
    const now = clock();
    const destroyed = await writeTransaction(storage, async (trx) => {
      const known = await trx
        .selectFrom('audit_keys')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', keyId)
        .executeTakeFirst();
      if (!known) throw new WardenError('not_found', 'nothing is sealed for this data subject');
      const gone = await keys.destroy(trx, tenantId, [keyId], now);
      await log.append(trx, tenantId, [
        {
          type: 'audit.shred',
          actor: actorOf(principal),
          subject: { type: 'data_subject', id: keyId },
          payload: { keyId, destroyed: gone.length > 0 },
          at: now,
        },
      ]);
      return gone;
    });
    if (destroyed.length > 0) {
      keys.evict(tenantId, destroyed);
      await signals.publish({ type: 'audit.keys_destroyed', tenantId, keyIds: destroyed });
    }
    return { keyId, destroyed: destroyed.length > 0 };
  }
}
