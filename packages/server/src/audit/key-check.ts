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
  const checkpoints = storage.db
    .selectFrom('audit_checkpoints')
    .select(['tenant_id', 'size', 'note'])
    .limit(1);
  const latest = await checkpoints.orderBy('created_at', 'desc').executeTakeFirst();
  if (!latest) return;
  const opened = openCheckpoint(latest.note, signingKey.verifierKey);
  if (opened.ok) return;
  const row = `The audit checkpoint row of tenant ${latest.tenant_id} at size ${latest.size}`;
  const tampered =
    'the database was tampered with: run "warden audit verify --full" and restore it from a backup';
  // A line from this very key that fails, or a note that is not one, can only be an edited row.
  if (opened.code !== 'unknown_key')
    throw new Error(
      `${row} does not verify with this node's signing key (${opened.code.replace('_', ' ')}: ` +
        `${opened.message}): the row was altered after it was signed; ${tampered}`,
    );
  // Signed by another key: the wrong key file only if this key signed nothing here.
  const earliest = await checkpoints.orderBy('created_at', 'asc').executeTakeFirst();
  if (earliest && openCheckpoint(earliest.note, signingKey.verifierKey).ok)
    throw new Error(
      `${row} is signed by another key than this node's, while older checkpoints verify with it: ` +
        `the row was replaced; ${tampered}`,
    );
  throw new Error(
    `${files.signingKeyFile} did not sign this database's audit checkpoints; ` +
      'every node must use the same signing key file (WARDEN_AUDIT_SIGNING_KEY_FILE)',
  );
}
