import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { openCheckpoint, type ParsedVerifierKey } from './checkpoint/index.js';
import { macMatches } from './event-mac.js';
import { CompactRange, rangeDecomposition } from './merkle/index.js';
import { subtreeReader } from './subtree-store.js';

const PAGE_SIZE = 5_000;

/** What a node may sign: the log at `range.size`, every event of it either signed before or vouched for. */
export type TailCheck =
  | { readonly ok: true; readonly range: CompactRange }
  | { readonly ok: false; readonly problem: string };

export interface TailCheckInput {
  readonly db: Kysely<Database>;
  readonly tenantId: string;
  readonly origin: string;
  readonly verifierKey: ParsedVerifierKey;
  readonly eventKey: Buffer;
  /** A range this node already vouched for, to continue from when no later checkpoint exists. */
  readonly from?: CompactRange;
  /** Vouch up to this size (the log state's). */
  readonly size: number;
}

/**
 * Before a checkpoint is signed: the newest stored checkpoint must carry this node's signature and
 * match the stored tree, and every event after it must carry a valid MAC. Only the leaf hashes and
 * MACs of the unsigned tail are read (the stored hashes are what the checkpoint signs; a body
 * changed under its hash is still found by full verification).
 */
export async function checkUnsignedTail(input: TailCheckInput): Promise<TailCheck> {
  const { db, tenantId, size } = input;
  const latest = await db
    .selectFrom('audit_checkpoints')
    .select(['size', 'note'])
    .where('tenant_id', '=', tenantId)
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  let range: CompactRange;
  if (input.from && input.from.size >= (latest?.size ?? 0) && input.from.size <= size) {
    range = input.from.clone();
  } else {
    const start = await signedStart(input, latest);
    if (!start.ok) return start;
    range = start.range;
  }
  if (range.size > size)
    return { ok: false, problem: `the log state says ${size} events, but a checkpoint signed ${range.size}` };

  const unvouched: number[] = [];
  while (range.size < size) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['seq', 'leaf_hash', 'mac'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '>=', range.size)
      .where('seq', '<', size)
      .orderBy('seq')
      .limit(PAGE_SIZE)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.seq !== range.size) return { ok: false, problem: `seq ${range.size} is missing from the log` };
      const leaf = Buffer.from(row.leaf_hash, 'base64');
      if (!macMatches(input.eventKey, leaf, row.mac)) unvouched.push(row.seq);
      range.appendLeaf(leaf);
    }
  }
  if (unvouched.length > 0) {
    const shown = unvouched.slice(0, 10).join(', ');
    const more = unvouched.length > 10 ? ` and ${unvouched.length - 10} more` : '';
    return {
      ok: false,
      problem:
        `${unvouched.length === 1 ? 'event' : 'events'} at seq ${shown}${more} after the last signed ` +
        'checkpoint carry no valid MAC of this deployment: they were not written by a Warden node ' +
        '(inserted or altered in the database)',
    };
  }
  if (range.size < size) return { ok: false, problem: `seq ${range.size} is missing from the log` };
  return { ok: true, range };
}

/** The compact range at the newest checkpoint, from the stored tree, checked against its signature. */
async function signedStart(
  input: TailCheckInput,
  latest: { size: number; note: string } | undefined,
): Promise<TailCheck> {
  if (!latest) return { ok: true, range: CompactRange.empty() };
  const opened = openCheckpoint(latest.note, input.verifierKey);
  if (!opened.ok || opened.checkpoint.origin !== input.origin || opened.checkpoint.size !== latest.size) {
    return {
      ok: false,
      problem:
        `the stored checkpoint at size ${latest.size} does not verify with this node's signing key ` +
        `(${opened.ok ? 'it names another log or size' : opened.message}): the checkpoint row was altered`,
    };
  }
  const refs = rangeDecomposition(0, latest.size);
  let range: CompactRange;
  try {
    range = CompactRange.from(latest.size, await subtreeReader(input.db, input.tenantId)(refs));
  } catch (error) {
    return {
      ok: false,
      problem: `the stored tree below the checkpoint at size ${latest.size}: ${(error as Error).message}`,
    };
  }
  if (!range.root().equals(opened.checkpoint.root)) {
    return {
      ok: false,
      problem: `the stored tree does not give the root signed at size ${latest.size}: the log was altered`,
    };
  }
  return { ok: true, range };
}
