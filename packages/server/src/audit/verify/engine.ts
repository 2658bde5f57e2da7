import type { ParsedVerifierKey } from '../checkpoint/index.js';
import { macMatches } from '../event-mac.js';
import { CompactRange, rangeDecomposition } from '../merkle/index.js';
import { checkEvent, type VerifiableEvent } from './event-checks.js';
import {
  CannotVerifyError,
  Findings,
  type TrustedCheckpoint,
  type VerifyMode,
  type VerifyReport,
} from './report.js';
import { RootTargets } from './root-targets.js';
import { openLogCheckpoints, openTrustedCheckpoints, type StoredCheckpoint } from './signed-checkpoints.js';

/** Perfect subtree roots: a compact range (largest first) or the decomposition of a range (left to right). */
export interface RangeHashes {
  readonly size: number;
  readonly hashes: readonly Uint8Array[];
}

export interface LogStream {
  readonly mode: VerifyMode;
  readonly tenantId: string;
  readonly origin: string;
  readonly verifierKey: ParsedVerifierKey;
  /** The compact range of [0, b) when the events start at b (an export); not trusted, only used. */
  readonly prefix?: RangeHashes;
  /** In seq order from b on, a page at a time (one await per page rather than per event). */
  readonly events: AsyncIterable<readonly VerifiableEvent[]>;
  readonly checkpoints: readonly StoredCheckpoint[];
  /** The subtrees from the last event to the size of the next checkpoint (an export), left to right. */
  readonly suffix?: RangeHashes;
  readonly trusted?: readonly TrustedCheckpoint[];
  /**
   * Where the source says the events end (an export's header). Fewer events means some were removed
   * or the tail was cut; more means some were added: both tampering, reported with the checkpoints
   * beyond the events as truncation.
   */
  readonly announcedEnd?: number;
  /** True when the events run to the end of the log, so a checkpoint beyond them means truncation. */
  readonly complete: boolean;
  /** The size and root the source claims for the log (a database's audit_log_state). */
  readonly claimed?: { readonly size: number; readonly root: string };
  /**
   * The deployment's event key: events after the last signed checkpoint must carry a valid MAC, or
   * they were put there by someone other than a node.
   */
  readonly eventKey?: Buffer;
  /** Passed through to the report. */
  readonly warnings?: readonly string[];
  /** Told how many events were checked, after each page. */
  readonly onProgress?: (events: number) => void;
}

/**
 * Streams a log's events once, checking each, and recomputes the root at every size something was
 * signed for. Memory is the signed roots plus one compact range (O(checkpoints + log n)), never the
 * events.
 */
export async function verifyLogStream(input: LogStream): Promise<VerifyReport> {
  const { tenantId, origin, verifierKey, onProgress } = input;
  const findings = new Findings();
  const signed = openLogCheckpoints(input.checkpoints, verifierKey, origin, findings);
  const trusted = openTrustedCheckpoints(input.trusted ?? [], verifierKey, origin, findings);
  const range = startingRange(input.prefix);
  const begin = range.size;
  const targets = new RootTargets(signed, trusted, findings, begin);
  targets.check(begin, range.root());

  const { eventKey } = input;
  const tailStart = signed.at(-1)?.size ?? 0;
  let expectedSeq = begin;
  let events = 0;
  for await (const page of input.events) {
    for (const event of page) {
      if (event.seq !== expectedSeq) reportOutOfPlace(event.seq, expectedSeq, findings);
      // Carry on after the highest seq seen, so one hole or one late event is reported once, not at
      // every event after it.
      expectedSeq = Math.max(expectedSeq, event.seq + 1);
      const leaf = checkEvent(event, tenantId, findings);
      if (eventKey && event.seq >= tailStart && !macMatches(eventKey, leaf, event.mac)) {
        findings.add({
          code: 'unvouched_event',
          seq: event.seq,
          message:
            `seq ${event.seq} is after the last signed checkpoint and carries no valid MAC of this ` +
            'deployment: no node wrote it (inserted or altered in the database)',
        });
      }
      range.appendLeaf(leaf);
      if (range.size === targets.next) targets.check(range.size, range.root());
    }
    events += page.length;
    onProgress?.(events);
  }
  const end = range.size;
  const { announcedEnd } = input;
  if (announcedEnd !== undefined && end !== announcedEnd) {
    reportMiscount(begin, end, announcedEnd, findings);
    // The suffix continues from the announced end, not from here: what was signed beyond the events
    // can no longer be reached, which is what a cut log looks like.
    targets.finish(end, true);
  } else {
    if (input.suffix) extendBySuffix(range, input.suffix, targets);
    targets.finish(range.size, input.complete);
  }
  if (input.claimed) compareClaimed(input.claimed, range, findings);

  const lastSigned = targets.lastCheckpointSize ?? begin;
  return {
    mode: input.mode,
    tenant: tenantId,
    origin,
    size: range.size,
    root: range.root().toString('base64'),
    events,
    checkpoints: targets.checkpointsChecked,
    unsignedTail: Math.max(0, end - lastSigned),
    ...(eventKey ? { tailVouched: true } : {}),
    ...(input.warnings?.length ? { warnings: input.warnings } : {}),
    trusted: targets.results,
    ...findings.summary(),
  };
}

function startingRange(prefix: RangeHashes | undefined): CompactRange {
  if (!prefix) return CompactRange.empty();
  try {
    return CompactRange.from(prefix.size, prefix.hashes);
  } catch (error) {
    throw new CannotVerifyError(`the prefix is not a compact range: ${(error as Error).message}`);
  }
}

function reportOutOfPlace(seq: number, expected: number, findings: Findings): void {
  if (seq > expected) {
    const missing = seq - expected === 1 ? `seq ${expected} is` : `seqs ${expected} to ${seq - 1} are`;
    findings.add({ code: 'gap', seq: expected, message: `${missing} missing from the log` });
  } else {
    findings.add({
      code: 'sequence_mismatch',
      seq,
      message: `seq ${seq} comes after seq ${expected - 1}: the log is out of order`,
    });
  }
}

function reportMiscount(begin: number, end: number, announced: number, findings: Findings): void {
  const held = `${end - begin} ${end - begin === 1 ? 'event' : 'events'}`;
  if (end < announced) {
    findings.add({
      code: 'truncation',
      seq: end,
      message:
        `the export announces events ${begin} to ${announced - 1} but holds ${held}: ` +
        `${announced - end} removed or the tail cut`,
    });
  } else {
    findings.add({
      code: 'sequence_mismatch',
      seq: announced,
      message: `the export announces events ${begin} to ${announced - 1} but holds ${held}: events were added`,
    });
  }
}

function extendBySuffix(range: CompactRange, suffix: RangeHashes, targets: RootTargets): void {
  if (suffix.size < range.size) {
    throw new CannotVerifyError(`the suffix ends at ${suffix.size}, before the last event (${range.size})`);
  }
  const refs = rangeDecomposition(range.size, suffix.size);
  if (refs.length !== suffix.hashes.length) {
    throw new CannotVerifyError(
      `the suffix to size ${suffix.size} needs ${refs.length} subtree hashes, it has ${suffix.hashes.length}`,
    );
  }
  refs.forEach((ref, i) => {
    range.appendSubtree(ref.level, suffix.hashes[i] as Uint8Array);
    if (range.size === targets.next) targets.check(range.size, range.root());
  });
}

function compareClaimed(
  claimed: { readonly size: number; readonly root: string },
  range: CompactRange,
  findings: Findings,
): void {
  if (claimed.size !== range.size) {
    findings.add({
      code: 'state_mismatch',
      size: claimed.size,
      message: `the log state says ${claimed.size} events, but the log has ${range.size}`,
    });
  } else if (claimed.root !== range.root().toString('base64')) {
    findings.add({
      code: 'state_mismatch',
      size: claimed.size,
      message: `the log state's root at size ${claimed.size} is not the root of the events`,
    });
  }
}
