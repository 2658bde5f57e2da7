import { invalidField, notFound, WardenError } from '../errors.js';
import type { Storage } from '../storage/database.js';
import type { Checkpointer } from './checkpointer.js';
import {
  consistencyProof,
  EMPTY_ROOT,
  hashOfRange,
  inclusionProof,
  rangeDecomposition,
  type SubtreeReader,
} from './merkle/index.js';
import { subtreeReader } from './subtree-store.js';

export interface CheckpointView {
  readonly origin: string;
  readonly size: number;
  readonly root: string;
  readonly time: string;
  readonly note: string;
  readonly verifierKey: string;
}

export interface InclusionView {
  readonly event: string;
  readonly seq: number;
  readonly leafHash: string;
  readonly size: number;
  /** The root of the tree of `size` leaves, computed from the stored nodes. */
  readonly root: string;
  /** The signed checkpoint of exactly `size` leaves, when there is one: verify `root` against it. */
  readonly checkpoint: string | null;
  readonly proof: string[];
}

export interface ProofDeps {
  readonly storage: Storage;
  readonly checkpointer: Checkpointer;
  readonly verifierKey: string;
  readonly origin: (tenantId: string) => string;
}

/** Signed checkpoints of a tenant's log and the proofs that tie events and older checkpoints to them. */
export class AuditProofs {
  constructor(private readonly deps: ProofDeps) {}

  async latestCheckpoint(tenantId: string): Promise<CheckpointView> {
    const row = await this.latest(tenantId);
    if (!row) throw new WardenError('not_found', 'no checkpoint of this audit log has been signed yet');
    return {
      origin: this.deps.origin(tenantId),
      size: row.size,
      root: row.root,
      time: new Date(row.created_at).toISOString(),
      note: row.note,
      verifierKey: this.deps.verifierKey,
    };
  }

  /**
   * The inclusion proof of an event in the tree of `size` leaves. Without a size, the newest
   * checkpoint's; one is signed first if none covers the event yet, so the proof always leads to a
   * signed root when signing works.
   */
  async inclusion(tenantId: string, eventId: string, size?: number): Promise<InclusionView> {
    const { db } = this.deps.storage;
    const event = await db
      .selectFrom('audit_events')
      .select(['id', 'seq', 'leaf_hash'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', eventId)
      .executeTakeFirst();
    if (!event) throw notFound('audit event', eventId);
    const logSize = await currentLogSize(this.deps.storage, tenantId);
    let treeSize = size;
    if (treeSize === undefined) {
      await signedCovering(this.deps, tenantId, event.seq + 1);
      treeSize = (await this.latest(tenantId))?.size ?? logSize;
    }
    if (treeSize <= event.seq)
      throw invalidField('querystring.size', `must be greater than the event's seq (${event.seq})`);
    if (treeSize > logSize) throw invalidField('querystring.size', `is past the log's size (${logSize})`);
    const read = subtreeReader(db, tenantId);
    const checkpoint = await db
      .selectFrom('audit_checkpoints')
      .select('note')
      .where('tenant_id', '=', tenantId)
      .where('size', '=', treeSize)
      .executeTakeFirst();
    return {
      event: event.id,
      seq: event.seq,
      leafHash: event.leaf_hash,
      size: treeSize,
      root: (await rootAt(read, treeSize)).toString('base64'),
      checkpoint: checkpoint?.note ?? null,
      proof: base64All(await inclusionProof(event.seq, treeSize, read)),
    };
  }

  /** The consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
  async consistency(
    tenantId: string,
    from: number,
    to: number,
  ): Promise<{ from: number; to: number; proof: string[] }> {
    if (from > to) throw invalidField('querystring.from', `must not be greater than querystring.to (${to})`);
    const logSize = await currentLogSize(this.deps.storage, tenantId);
    if (to > logSize) throw invalidField('querystring.to', `is past the log's size (${logSize})`);
    const read = subtreeReader(this.deps.storage.db, tenantId);
    return { from, to, proof: base64All(await consistencyProof(from, to, read)) };
  }

  private latest(tenantId: string) {
    return this.deps.storage.db
      .selectFrom('audit_checkpoints')
      .select(['size', 'root', 'created_at', 'note'])
      .where('tenant_id', '=', tenantId)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
  }
}

/** The number of events in the tenant's log (0 before its first event). */
export async function currentLogSize(storage: Storage, tenantId: string): Promise<number> {
  const state = await storage.db
    .selectFrom('audit_log_state')
    .select('size')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return state?.size ?? 0;
}

/** The RFC 6962 root of the first `size` leaves: its compact range's subtrees are all stored. */
export async function rootAt(read: SubtreeReader, size: number): Promise<Buffer> {
  if (size === 0) return Buffer.from(EMPTY_ROOT);
  const refs = rangeDecomposition(0, size);
  return hashOfRange(refs, await read(refs));
}

/**
 * The smallest signed checkpoint of at least `size` leaves, signing one when none exists. A round
 * already under way may have read the log before the events we need, so a second round is tried.
 */
export async function signedCovering(
  deps: Pick<ProofDeps, 'storage' | 'checkpointer'>,
  tenantId: string,
  size: number,
): Promise<{ size: number; note: string } | undefined> {
  for (let attempt = 0; attempt <= 2; attempt++) {
    const row = await deps.storage.db
      .selectFrom('audit_checkpoints')
      .select(['size', 'note'])
      .where('tenant_id', '=', tenantId)
      .where('size', '>=', size)
      .orderBy('size', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (row) return row;
    if (attempt < 2) await deps.checkpointer.run();
  }
  return undefined;
}

function base64All(hashes: readonly Uint8Array[]): string[] {
  return hashes.map((hash) => Buffer.from(hash).toString('base64'));
}
