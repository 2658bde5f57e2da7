import type { Findings, TrustedResult } from './report.js';
import type { SignedRoot, TrustedRoot } from './signed-checkpoints.js';

interface Target {
  readonly signed: Buffer[];
  readonly trusted: TrustedRoot[];
}

/**
 * The tree sizes at which a streaming verifier must compare its recomputed root with signed ones: the
 * log's checkpoints and the trusted ones. Holding only these (not the events) keeps memory at
 * O(checkpoints) while the root at each size is still checked exactly.
 */
export class RootTargets {
  private readonly targets = new Map<number, Target>();
  private readonly sizes: number[];
  private position = 0;
  private lastGood: number;
  private lastSigned: number | undefined;
  private checkedCheckpoints = 0;
  readonly results: TrustedResult[] = [];

  constructor(
    signed: readonly SignedRoot[],
    trusted: readonly TrustedRoot[],
    private readonly findings: Findings,
    begin: number,
  ) {
    for (const { size, root } of signed) this.target(size).signed.push(root);
    for (const entry of trusted) this.target(entry.size).trusted.push(entry);
    this.sizes = [...this.targets.keys()].sort((a, b) => a - b);
    this.lastGood = begin;
    // Before the first event of a window nothing can be recomputed (the prefix is not trusted).
    while (this.next < begin) this.leaveUnchecked(this.sizes[this.position++] as number);
  }

  /** The next size to compare at; Infinity when none is left. */
  get next(): number {
    return this.sizes[this.position] ?? Number.POSITIVE_INFINITY;
  }

  /** The size of the last checkpoint of the log that was compared: what the tail after it lacks. */
  get lastCheckpointSize(): number | undefined {
    return this.lastSigned;
  }

  get checkpointsChecked(): number {
    return this.checkedCheckpoints;
  }

  /** Compares the recomputed `root` at `size` with every checkpoint there; other sizes than `next` are ignored. */
  check(size: number, root: Buffer): void {
    const target = this.targets.get(size);
    if (size !== this.next || !target) return;
    this.position += 1;
    let good = true;
    for (const signed of target.signed) {
      this.checkedCheckpoints += 1;
      this.lastSigned = size;
      if (signed.equals(root)) continue;
      good = false;
      this.findings.add({
        code: 'root_mismatch',
        size,
        message:
          `the checkpoint at size ${size} signs root ${signed.toString('base64')} but the events give ` +
          `${root.toString('base64')}: an event with seq in [${this.lastGood}, ${size - 1}] is not what was signed`,
      });
    }
    for (const trusted of target.trusted) {
      if (trusted.root.equals(root)) {
        this.results.push({ source: trusted.source, size, status: 'consistent' });
        continue;
      }
      good = false;
      this.results.push({ source: trusted.source, size, status: 'failed' });
      // The log signed this very root too: its events were changed after signing (reported above).
      if (target.signed.some((s) => s.equals(trusted.root))) continue;
      this.findings.add({
        code: 'fork',
        size,
        source: trusted.source,
        message:
          `the ${trusted.source} checkpoint at size ${size} has root ${trusted.root.toString('base64')} but ` +
          `this log has root ${root.toString('base64')} there: two signed histories (a fork, or a restored ` +
          'backup that was appended to)',
      });
    }
    if (good) this.lastGood = size;
  }

  /**
   * After the last event. A log that is complete (a database) must reach every size that was signed;
   * a window of it (an export) simply does not cover the sizes beyond it.
   */
  finish(size: number, complete: boolean): void {
    for (; this.position < this.sizes.length; this.position++) {
      const beyond = this.sizes[this.position] as number;
      if (!complete) {
        this.leaveUnchecked(beyond);
        continue;
      }
      const target = this.targets.get(beyond) as Target;
      if (target.signed.length > 0) {
        this.findings.add({
          code: 'truncation',
          size: beyond,
          message: `the log has ${size} events, but a checkpoint of it signed size ${beyond}`,
        });
      }
      for (const trusted of target.trusted) {
        this.results.push({ source: trusted.source, size: beyond, status: 'failed' });
        this.findings.add({
          code: 'truncation',
          size: beyond,
          source: trusted.source,
          message: `the log has ${size} events, but the ${trusted.source} checkpoint signed size ${beyond}`,
        });
      }
    }
  }

  private leaveUnchecked(size: number): void {
    for (const trusted of this.targets.get(size)?.trusted ?? []) {
      this.results.push({ source: trusted.source, size, status: 'not_covered' });
    }
  }

  private target(size: number): Target {
    let target = this.targets.get(size);
    if (!target) {
      target = { signed: [], trusted: [] };
      this.targets.set(size, target);
    }
    return target;
  }
}
