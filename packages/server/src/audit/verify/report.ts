/** What can be wrong with a log; each names the first bad sequence number or checkpoint size it found. */
export type FailureCode =
  | 'gap'
  | 'sequence_mismatch'
  | 'malformed_event'
  | 'tenant_mismatch'
  | 'leaf_mismatch'
  | 'column_mismatch'
  | 'root_mismatch'
  | 'bad_signature'
  | 'truncation'
  | 'fork'
  | 'inconsistent_checkpoints'
  | 'state_mismatch'
  | 'unvouched_event';

export type Verdict = 'verified' | 'integrity_failure' | 'cannot_verify';

export interface VerifyFailure {
  readonly code: FailureCode;
  readonly seq?: number;
  /** The checkpoint (tree) size the failure is about. */
  readonly size?: number;
  /** Where a checkpoint came from, when not from the log itself: `anchor`, `from-checkpoint`, ... */
  readonly source?: string;
  readonly message: string;
}

/** A checkpoint held outside the log (anchor directory, --from-checkpoint): what the log had to match. */
export interface TrustedCheckpoint {
  readonly source: string;
  readonly size: number;
  readonly note: string;
}

export interface TrustedResult {
  readonly source: string;
  readonly size: number;
  /** `not_covered`: outside the range of events being verified (an export's window), so not checked. */
  readonly status: 'consistent' | 'failed' | 'not_covered';
}

export type VerifyMode = 'full' | 'quick' | 'export' | 'event';

export interface VerifyReport {
  readonly verdict: Verdict;
  readonly mode: VerifyMode;
  readonly tenant?: string;
  readonly origin?: string;
  /** Size of the log checked (for an export: the size of its last checkpoint). */
  readonly size: number;
  /** Base64 root of the log at `size`, as recomputed (full, export) or as stored (quick, event). */
  readonly root?: string;
  /** Events whose bodies were checked. */
  readonly events: number;
  /** Signed checkpoints of the log that were checked. */
  readonly checkpoints: number;
  /** Events after the last checkpoint: not signed yet, so only as trustworthy as the database. */
  readonly unsignedTail: number;
  /**
   * True when every event of the unsigned tail was checked for a valid MAC under the deployment's
   * event key (the verifier had the key-encryption key); such a tail was written by a node.
   */
  readonly tailVouched?: boolean;
  /** Things noticed that are not tampering, e.g. an anchor file torn by a crash while it was written. */
  readonly warnings?: readonly string[];
  readonly trusted: readonly TrustedResult[];
  readonly failures: readonly VerifyFailure[];
  /** Failures found beyond those listed (the list is capped). */
  readonly moreFailures?: number;
  readonly firstBadSeq?: number;
  /** Why the log could not be verified (verdict cannot_verify). */
  readonly reason?: string;
  /** Where the verifier key came from: `export` means the export vouched for itself. */
  readonly keySource?: 'given' | 'export';
}

/** Thrown by sources when the input cannot be verified at all (unreadable, unknown tenant, no key). */
export class CannotVerifyError extends Error {
  override readonly name = 'CannotVerifyError';
}

// Once a log diverges, every later checkpoint fails too; the first failures are the informative ones.
const MAX_LISTED_FAILURES = 100;

/** Collects failures in the order they were found. */
export class Findings {
  readonly list: VerifyFailure[] = [];
  private more = 0;
  private firstBad: number | undefined;

  add(failure: VerifyFailure): void {
    if (failure.seq !== undefined && (this.firstBad === undefined || failure.seq < this.firstBad)) {
      this.firstBad = failure.seq;
    }
    if (this.list.length < MAX_LISTED_FAILURES) this.list.push(failure);
    else this.more += 1;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** The report's verdict, failure list and first bad sequence number. */
  summary(): Pick<VerifyReport, 'verdict' | 'failures' | 'moreFailures' | 'firstBadSeq'> {
    return {
      verdict: this.empty ? 'verified' : 'integrity_failure',
      failures: this.list,
      ...(this.more > 0 ? { moreFailures: this.more } : {}),
      ...(this.firstBad !== undefined ? { firstBadSeq: this.firstBad } : {}),
    };
  }
}

export function cannotVerify(
  mode: VerifyMode,
  reason: string,
  context: Partial<VerifyReport> = {},
): VerifyReport {
  return {
    mode,
    size: 0,
    events: 0,
    checkpoints: 0,
    unsignedTail: 0,
    trusted: [],
    failures: [],
    ...context,
    verdict: 'cannot_verify',
    reason,
  };
}

/** The reason to give for an error that stopped verification. */
export function reasonOf(error: unknown): string {
  if (error instanceof CannotVerifyError) return error.message;
  return `the log could not be read: ${error instanceof Error ? error.message : String(error)}`;
}
