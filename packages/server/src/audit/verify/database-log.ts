import type { Kysely } from 'kysely';
import type { Database } from '../../storage/schema.js';
import type { ParsedVerifierKey } from '../checkpoint/index.js';
import {
  type LogState,
  readLogState,
  readStoredCheckpoints,
  resolveTenant,
  type TenantRef,
} from './database-reads.js';
import type { TrustedCheckpoint } from './report.js';
import type { StoredCheckpoint } from './signed-checkpoints.js';
import { readAnchoredCheckpoints } from './trusted-sources.js';
import { verifierKeyFrom } from './verifier-key.js';

export interface DatabaseVerifyOptions {
  /** The C2SP verifier key the checkpoints must be signed with (text or parsed). */
  readonly verifierKey: string | ParsedVerifierKey;
  /** config.auditLogName: a tenant's log origin is `<logName>/<tenant id>`. */
  readonly logName: string;
  /** Check every event (else: signatures and consistency proofs from the stored tree only). */
  readonly full?: boolean;
  /** An anchor directory (DirectoryAnchor) whose checkpoints the log must agree with. */
  readonly anchorDir?: string;
  /** Further checkpoints the log must agree with, e.g. one an auditor kept from an earlier run. */
  readonly trusted?: readonly TrustedCheckpoint[];
  /**
   * The deployment's event key (derived from the key-encryption key): the events after the last
   * checkpoint must carry valid MACs. Without it they are only reported as not signed yet.
   */
  readonly eventKey?: Buffer;
  /** Rows per query when streaming events. */
  readonly pageSize?: number;
  /** Events checked so far, and the log size they run to. */
  readonly onProgress?: (events: number, total: number) => void;
}

/** A tenant's log as the database has it, with everything it will be checked against. */
export interface DatabaseLog {
  readonly tenant: TenantRef;
  readonly origin: string;
  readonly key: ParsedVerifierKey;
  readonly state: LogState;
  readonly checkpoints: readonly StoredCheckpoint[];
  readonly trusted: readonly TrustedCheckpoint[];
  readonly warnings: readonly string[];
}

/** Must agree with the origin the audit trail signs with (audit-trail.ts). */
export function logOrigin(logName: string, tenantId: string): string {
  return `${logName}/${tenantId}`;
}

export async function openDatabaseLog(
  db: Kysely<Database>,
  tenantSlugOrId: string,
  options: DatabaseVerifyOptions,
): Promise<DatabaseLog> {
  const key = verifierKeyFrom(options.verifierKey);
  const tenant = await resolveTenant(db, tenantSlugOrId);
  const origin = logOrigin(options.logName, tenant.id);
  const state = await readLogState(db, tenant.id);
  const checkpoints = await readStoredCheckpoints(db, tenant.id);
  const anchored = options.anchorDir
    ? await readAnchoredCheckpoints(options.anchorDir, origin)
    : { checkpoints: [], warnings: [] };
  return {
    tenant,
    origin,
    key,
    state,
    checkpoints,
    trusted: [...anchored.checkpoints, ...(options.trusted ?? [])],
    warnings: anchored.warnings,
  };
}
