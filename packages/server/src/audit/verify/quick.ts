import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.js';
import { macMatches } from '../event-mac.js';
import { subtreeReader } from '../subtree-store.js';
import type { DatabaseLog } from './database-log.js';
import { checkTrustedByProofs, consistencyProblem } from './proof-checks.js';
import { Findings, type VerifyReport } from './report.js';
import { openLogCheckpoints, openTrustedCheckpoints, type SignedRoot } from './signed-checkpoints.js';

/**
 * Verifies the signed history without reading the events: every checkpoint's signature, a consistency
 * proof between each two consecutive ones and from the latest to the current state, and the trusted
 * checkpoints against the log. O(checkpoints x log n) reads; it trusts the stored leaf and node hashes,
 * which only full verification recomputes.
 */
export async function verifyQuick(
  db: Kysely<Database>,
  log: DatabaseLog,
  eventKey?: Buffer,
): Promise<VerifyReport> {
  const findings = new Findings();
  const signed = openLogCheckpoints(log.checkpoints, log.key, log.origin, findings);
  const trusted = openTrustedCheckpoints(log.trusted, log.key, log.origin, findings);
  const read = subtreeReader(db, log.tenant.id);
  const size = log.state.size;
  const current: SignedRoot = { size, root: Buffer.from(log.state.root, 'base64') };

  const reached = signed.filter((c) => c.size <= size);
  for (const beyond of signed.filter((c) => c.size > size)) {
    findings.add({
      code: 'truncation',
      size: beyond.size,
      message: `the log has ${size} events, but a checkpoint of it signed size ${beyond.size}`,
    });
  }
  for (let i = 1; i < reached.length; i++) {
    const earlier = reached[i - 1] as SignedRoot;
    const later = reached[i] as SignedRoot;
    // Two roots at one size were reported when the checkpoints were opened.
    if (earlier.size === later.size) continue;
    const problem = await consistencyProblem(earlier, later, read);
    if (problem) {
      findings.add({
        code: 'inconsistent_checkpoints',
        size: later.size,
        message: `the checkpoints at sizes ${earlier.size} and ${later.size} are not one history: ${problem}`,
      });
    }
  }
  const latest = reached.at(-1);
  if (latest) {
    const problem = await consistencyProblem(latest, current, read);
    if (problem) {
      findings.add({
        code: 'state_mismatch',
        size,
        message: `the log's current state (size ${size}) does not extend its checkpoint at size ${latest.size}: ${problem}`,
      });
    }
  }
  if (eventKey) await checkTailMacs(db, log.tenant.id, latest?.size ?? 0, size, eventKey, findings);
  const results = await checkTrustedByProofs(trusted, [...reached, current], read, findings);
  return {
    mode: 'quick',
    tenant: log.tenant.id,
    origin: log.origin,
    size,
    root: log.state.root,
    events: 0,
    checkpoints: reached.length,
    unsignedTail: size - (latest?.size ?? 0),
    ...(eventKey ? { tailVouched: true } : {}),
    ...(log.warnings.length > 0 ? { warnings: log.warnings } : {}),
    trusted: results,
    ...findings.summary(),
  };
}

const TAIL_PAGE = 5_000;

/** The unsigned tail's MACs, over the stored leaf hashes (quick mode reads no bodies). */
async function checkTailMacs(
  db: Kysely<Database>,
  tenantId: string,
  from: number,
  to: number,
  eventKey: Buffer,
  findings: Findings,
): Promise<void> {
  for (let next = from; next < to; ) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['seq', 'leaf_hash', 'mac'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '>=', next)
      .where('seq', '<', to)
      .orderBy('seq')
      .limit(TAIL_PAGE)
      .execute();
    const last = rows.at(-1);
    if (!last) return;
    for (const row of rows) {
      if (macMatches(eventKey, Buffer.from(row.leaf_hash, 'base64'), row.mac)) continue;
      findings.add({
        code: 'unvouched_event',
        seq: row.seq,
        message:
          `seq ${row.seq} is after the last signed checkpoint and carries no valid MAC of this ` +
          'deployment: no node wrote it (inserted or altered in the database)',
      });
    }
    next = last.seq + 1;
  }
}
