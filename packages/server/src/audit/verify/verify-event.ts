import type { Storage } from '../../storage/database.js';
import { inclusionProof, type SubtreeReader, verifyInclusion } from '../merkle/index.js';
import { MissingSubtreeError, subtreeReader } from '../subtree-store.js';
import { type DatabaseVerifyOptions, openDatabaseLog } from './database-log.js';
import { checkEvent } from './event-checks.js';
import { readEventById } from './event-rows.js';
import { checkTrustedByProofs } from './proof-checks.js';
import { CannotVerifyError, cannotVerify, Findings, reasonOf, type VerifyReport } from './report.js';
import { openLogCheckpoints, openTrustedCheckpoints, type SignedRoot } from './signed-checkpoints.js';

/**
 * Verifies one event: its body against its row, and its inclusion in the latest signed checkpoint (an
 * RFC 9162 inclusion proof from the stored tree), plus the trusted checkpoints against that checkpoint.
 */
export async function verifyEventFromDatabase(
  storage: Storage,
  tenant: string,
  eventId: string,
  options: Omit<DatabaseVerifyOptions, 'full' | 'pageSize' | 'onProgress'>,
): Promise<VerifyReport> {
  try {
    const { db } = storage;
    const log = await openDatabaseLog(db, tenant, options);
    const event = await readEventById(db, storage.dialect, log.tenant.id, eventId);
    if (!event) throw new CannotVerifyError(`no event ${eventId} in the log of tenant ${log.tenant.slug}`);
    const findings = new Findings();
    const leaf = checkEvent(event, log.tenant.id, findings);
    const signed = openLogCheckpoints(log.checkpoints, log.key, log.origin, findings);
    const trusted = openTrustedCheckpoints(log.trusted, log.key, log.origin, findings);
    const latest = signed.filter((c) => c.size <= log.state.size).at(-1);
    if (!latest || event.seq >= latest.size) {
      if (findings.empty) {
        throw new CannotVerifyError(
          `event ${eventId} (seq ${event.seq}) is not covered by a checkpoint yet; verify it after the next one`,
        );
      }
      return report(log.tenant.id, log.origin, undefined, [], findings);
    }
    const read = subtreeReader(db, log.tenant.id);
    await checkInclusion(leaf, event.seq, latest, read, findings);
    const current: SignedRoot = { size: log.state.size, root: Buffer.from(log.state.root, 'base64') };
    const trustedResults = await checkTrustedByProofs(trusted, [latest, current], read, findings);
    return report(log.tenant.id, log.origin, latest, trustedResults, findings);
  } catch (error) {
    return cannotVerify('event', reasonOf(error));
  }
}

async function checkInclusion(
  leaf: Buffer,
  seq: number,
  checkpoint: SignedRoot,
  read: SubtreeReader,
  findings: Findings,
): Promise<void> {
  let proof: Buffer[];
  try {
    proof = await inclusionProof(seq, checkpoint.size, read);
  } catch (error) {
    if (!(error instanceof MissingSubtreeError)) throw error;
    findings.add({ code: 'root_mismatch', seq, size: checkpoint.size, message: error.message });
    return;
  }
  if (!verifyInclusion(leaf, seq, checkpoint.size, proof, checkpoint.root)) {
    findings.add({
      code: 'root_mismatch',
      seq,
      size: checkpoint.size,
      message: `seq ${seq} is not included in the signed checkpoint at size ${checkpoint.size} as it is stored`,
    });
  }
}

function report(
  tenant: string,
  origin: string,
  checkpoint: SignedRoot | undefined,
  trusted: VerifyReport['trusted'],
  findings: Findings,
): VerifyReport {
  return {
    mode: 'event',
    tenant,
    origin,
    size: checkpoint?.size ?? 0,
    ...(checkpoint ? { root: checkpoint.root.toString('base64') } : {}),
    events: 1,
    checkpoints: checkpoint ? 1 : 0,
    unsignedTail: 0,
    trusted,
    ...findings.summary(),
  };
}
