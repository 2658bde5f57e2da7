import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { type SubtreeReader, type SubtreeRef, subtreeKey } from './merkle/index.js';

/** A proof needed a subtree the log should hold forever: rows were deleted from an append-only table. */
export class MissingSubtreeError extends Error {
  override readonly name = 'MissingSubtreeError';

  constructor(readonly missing: readonly SubtreeRef[]) {
    const names = missing.map((r) => (r.level === 0 ? `event seq ${r.index}` : `node ${r.level}:${r.index}`));
    super(`the log lacks ${names.join(', ')}`);
  }
}

/**
 * Reads perfect subtree hashes of a tenant's log for proofs: leaves from audit_events, interior nodes
 * from audit_nodes; a proof needs O(log n) of them, read in two queries. Missing rows raise
 * MissingSubtreeError (evidence of tampering, unlike a failing database). Nodes are looked up as
 * `(level, idx) IN (...)`: SQLite plans the equivalent OR of pairs as a scan of the tenant's whole node
 * table once a proof has a dozen elements (0.4 s per proof of a million-event log instead of a ms).
 */
export function subtreeReader(db: Kysely<Database>, tenantId: string): SubtreeReader {
  return async (refs) => {
    const found = new Map<string, Buffer>();
    const leaves = refs.filter((r) => r.level === 0).map((r) => r.index);
    const interior = refs.filter((r) => r.level > 0);
    if (leaves.length > 0) {
      const rows = await db
        .selectFrom('audit_events')
        .select(['seq', 'leaf_hash'])
        .where('tenant_id', '=', tenantId)
        .where('seq', 'in', leaves)
        .execute();
      for (const row of rows)
        found.set(subtreeKey({ level: 0, index: row.seq }), Buffer.from(row.leaf_hash, 'base64'));
    }
    if (interior.length > 0) {
      const rows = await db
        .selectFrom('audit_nodes')
        .select(['level', 'idx', 'hash'])
        .where('tenant_id', '=', tenantId)
        .where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple('level', 'idx'),
            'in',
            interior.map((r) => tuple(r.level, r.index)),
          ),
        )
        .execute();
      for (const row of rows)
        found.set(subtreeKey({ level: row.level, index: row.idx }), Buffer.from(row.hash, 'base64'));
    }
    const missing = refs.filter((ref) => !found.has(subtreeKey(ref)));
    if (missing.length > 0) throw new MissingSubtreeError(missing);
    return refs.map((ref) => found.get(subtreeKey(ref)) as Buffer);
  };
}
