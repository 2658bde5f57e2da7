import { randomBytes } from 'node:crypto';
import { hashSecret } from '../credentials/secrets.js';
import { newId } from '../ids.js';
import type { Trx } from '../storage/database.js';

/** A re-authentication proof as the human holds it: shown once, only its hash is stored. */
export const PROOF_PREFIX = 'wdn_r_';
const PROOF_PATTERN = /^wdn_r_[A-Za-z0-9_-]{43}$/;

/** What a proof is bound to: one approval request, its action, one human. */
export interface ProofBinding {
  readonly tenantId: string;
  readonly approvalId: string;
  readonly actionDigest: string | null;
  readonly humanId: string;
}

export interface MintedProof {
  readonly id: string;
  readonly proof: string;
  readonly expiresAt: number;
}

/** Stores a new proof for `binding`, valid for `ttlMs`; the caller has verified the human's identity. */
export async function mintProof(
  trx: Trx,
  binding: ProofBinding,
  source: string,
  now: number,
  ttlMs: number,
): Promise<MintedProof> {
  const proof = PROOF_PREFIX + randomBytes(32).toString('base64url');
  const id = newId('rap', now);
  const expiresAt = now + ttlMs;
  await trx
    .insertInto('reauth_proofs')
    .values({
      tenant_id: binding.tenantId,
      id,
      hash: hashSecret(proof),
      approval_id: binding.approvalId,
      action_digest: binding.actionDigest,
      human_id: binding.humanId,
      source,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  return { id, proof, expiresAt };
}

export type ProofCheck =
  | { readonly ok: true; readonly id: string; readonly source: string; readonly mintedAt: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Uses a proof up inside the vote's transaction: it must exist, belong to this tenant, human,
 * approval and action digest, be unexpired and unused. The update that marks it used is
 * conditional, so two votes racing with one proof get one success between them, on any node; a
 * vote that fails later rolls the use back with its transaction.
 */
export async function consumeProof(
  trx: Trx,
  binding: ProofBinding,
  proof: string,
  now: number,
): Promise<ProofCheck> {
  if (!PROOF_PATTERN.test(proof)) return { ok: false, reason: 'the re-authentication proof is malformed' };
  const row = await trx
    .selectFrom('reauth_proofs')
    .selectAll()
    .where('hash', '=', hashSecret(proof))
    .executeTakeFirst();
  if (!row || row.tenant_id !== binding.tenantId)
    return { ok: false, reason: 'the re-authentication proof is unknown' };
  if (row.human_id !== binding.humanId)
    return { ok: false, reason: 'the re-authentication proof is another human’s' };
  if (row.approval_id !== binding.approvalId) {
    return {
      ok: false,
      reason: `the re-authentication proof was minted for ${row.approval_id}, not this request`,
    };
  }
  if (row.action_digest !== binding.actionDigest) {
    return {
      ok: false,
      reason: 'the re-authentication proof was minted for other arguments (action digest differs)',
    };
  }
  if (row.used_at !== null) return { ok: false, reason: 'the re-authentication proof was already used' };
  if (row.expires_at <= now) {
    return {
      ok: false,
      reason: `the re-authentication proof expired at ${new Date(row.expires_at).toISOString()}`,
    };
  }
  const used = await trx
    .updateTable('reauth_proofs')
    .set({ used_at: now })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(used.numUpdatedRows) !== 1)
    return { ok: false, reason: 'the re-authentication proof was already used' };
  return { ok: true, id: row.id, source: row.source, mintedAt: row.created_at };
}
