import type { Storage } from '../storage/database.js';
import { openCheckpoint, type SigningKey } from './checkpoint/index.js';
import { open } from './sealing/aes-gcm.js';

/**
 * Every node of a deployment must hold the same audit key files. A node started with other ones
 * would sign checkpoints no verifier accepts, or fail to open the data keys the others wrote; it is
 * refused at start rather than discovered by an auditor.
 */
export async function assertAuditKeysMatch(
  storage: Storage,
  kek: Buffer,
  signingKey: SigningKey,
  files: { readonly signingKeyFile: string; readonly kekFile: string },
): Promise<void> {
  const wrapped = await storage.db
    .selectFrom('audit_keys')
    .select(['tenant_id', 'id', 'material'])
    .where('material', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  if (wrapped?.material && open(kek, wrapped.material, `${wrapped.tenant_id}|${wrapped.id}`) === null) {
    throw new Error(
      `${files.kekFile} is not the key-encryption key this database's audit keys were wrapped with; ` +
        'every node must use the same file (WARDEN_AUDIT_KEK_FILE)',
    );
  }
  const latest = await storage.db
    .selectFrom('audit_checkpoints')
    .select('note')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (latest && !openCheckpoint(latest.note, signingKey.verifierKey).ok) {
    throw new Error(
      `${files.signingKeyFile} did not sign this database's audit checkpoints; ` +
        'every node must use the same signing key file (WARDEN_AUDIT_SIGNING_KEY_FILE)',
    );
  }
}
