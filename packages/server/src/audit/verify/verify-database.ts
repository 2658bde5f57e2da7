import type { Storage } from '../../storage/database.js';
import { type DatabaseVerifyOptions, openDatabaseLog } from './database-log.js';
import { verifyLogStream } from './engine.js';
import { streamEvents } from './event-rows.js';
import { verifyQuick } from './quick.js';
import { cannotVerify, reasonOf, type VerifyReport } from './report.js';

const DEFAULT_PAGE_SIZE = 5_000;

/**
 * Verifies a tenant's log (by tenant id or slug) from the database, reading only. Full mode streams
 * every event; quick mode checks the signed history through the stored tree. Never throws for what it
 * finds or cannot reach: the report says.
 */
export async function verifyFromDatabase(
  storage: Storage,
  tenant: string,
  options: DatabaseVerifyOptions,
): Promise<VerifyReport> {
  const mode = options.full ? 'full' : 'quick';
  try {
    const log = await openDatabaseLog(storage.db, tenant, options);
    if (!options.full) return await verifyQuick(storage.db, log, options.eventKey);
    const total = log.state.size;
    const { onProgress } = options;
    return await verifyLogStream({
      mode,
      tenantId: log.tenant.id,
      origin: log.origin,
      verifierKey: log.key,
      events: streamEvents(storage.db, storage.dialect, log.tenant.id, options.pageSize ?? DEFAULT_PAGE_SIZE),
      checkpoints: log.checkpoints,
      trusted: log.trusted,
      complete: true,
      claimed: log.state,
      warnings: log.warnings,
      ...(options.eventKey ? { eventKey: options.eventKey } : {}),
      ...(onProgress ? { onProgress: (events: number) => onProgress(events, total) } : {}),
    });
  } catch (error) {
    return cannotVerify(mode, reasonOf(error));
  }
}
