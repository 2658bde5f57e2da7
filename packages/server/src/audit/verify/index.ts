export { readEventKey } from '../event-mac.js';
export { type DatabaseVerifyOptions, logOrigin } from './database-log.js';
export { resolveTenant, type TenantRef } from './database-reads.js';
export { type LogStream, type RangeHashes, verifyLogStream } from './engine.js';
export type { VerifiableEvent } from './event-checks.js';
export { EXPORT_KIND, EXPORT_VERSION, ExportFormatError, type ExportHeader } from './export-format.js';
export type { ExportOutline } from './export-reader.js';
export {
  CannotVerifyError,
  cannotVerify,
  type FailureCode,
  type TrustedCheckpoint,
  type TrustedResult,
  type Verdict,
  type VerifyFailure,
  type VerifyMode,
  type VerifyReport,
} from './report.js';
export type { StoredCheckpoint } from './signed-checkpoints.js';
export { readAnchoredCheckpoints, trustedCheckpointFromNote } from './trusted-sources.js';
export { verifyFromDatabase } from './verify-database.js';
export { verifyEventFromDatabase } from './verify-event.js';
export {
  type ExportLines,
  type ExportVerifyOptions,
  exportFileLines,
  verifyExport,
} from './verify-export.js';
