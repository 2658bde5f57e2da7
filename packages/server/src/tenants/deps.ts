import type { AuditLog } from '../audit/audit-log.js';
import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';

/** What the human, token and group services need. */
export interface TenantDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly clock: () => number;
}
