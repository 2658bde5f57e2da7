import type { TrustedResult, VerifyFailure, VerifyReport } from '@warden/server';
import { type CliIo, EXIT, paint } from '../io.js';

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** "anchor: 12,000 consistent" for each source of trusted checkpoints; empty when there were none. */
function trustedSummary(results: readonly TrustedResult[]): string {
  const sources = [...new Set(results.map((r) => r.source))];
  const parts = sources.map((source) => {
    const mine = results.filter((r) => r.source === source);
    const newest = Math.max(...mine.filter((r) => r.status === 'consistent').map((r) => r.size));
    const outside = mine.filter((r) => r.status === 'not_covered').length;
    const failed = mine.filter((r) => r.status === 'failed').length;
    const facts = [
      ...(Number.isFinite(newest) ? [`${count(newest)} consistent`] : []),
      ...(failed > 0 ? [`${count(failed)} failed`] : []),
      ...(outside > 0 ? [`${count(outside)} outside the export`] : []),
    ];
    return `${source}: ${facts.join(', ')}`;
  });
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function verifiedLine(report: VerifyReport): string {
  const trusted = trustedSummary(report.trusted);
  const root = `root ${report.root ?? '-'} at size ${count(report.size)}`;
  switch (report.mode) {
    case 'quick':
      return `verified (quick): ${plural(report.checkpoints, 'checkpoint')} signed and consistent, ${root}${trusted}`;
    case 'event':
      return `verified: the event is included in the signed checkpoint at size ${count(report.size)}${trusted}`;
    default:
      return `verified: ${plural(report.events, 'event')}, ${plural(report.checkpoints, 'checkpoint')}, ${root}${trusted}`;
  }
}

function failureLine(failure: VerifyFailure): string {
  const where =
    failure.seq !== undefined
      ? ` at seq ${count(failure.seq)}`
      : failure.size !== undefined
        ? ` at size ${count(failure.size)}`
        : '';
  return `${failure.code}${where}: ${failure.message}`;
}

/** Prints the report (as one JSON object with --json) and returns the exit code for its verdict. */
export function printReport(io: CliIo, report: VerifyReport, json: boolean): number {
  if (report.keySource === 'export') {
    io.err(
      `${paint(io, 'yellow', 'warning:')} the verifier key came from the export itself, which proves only that ` +
        'the export is self-consistent; pin the key with --public-key\n',
    );
  }
  if (json) io.out(`${JSON.stringify(report)}\n`);
  else for (const warning of report.warnings ?? []) io.err(`${paint(io, 'yellow', 'warning:')} ${warning}\n`);
  if (report.verdict === 'cannot_verify') {
    if (!json) io.err(`cannot verify: ${report.reason ?? 'unknown reason'}\n`);
    return EXIT.usage;
  }
  if (report.verdict === 'integrity_failure') {
    if (!json) {
      const [first] = report.failures;
      io.out(`${paint(io, 'red', 'INTEGRITY FAILURE:')} ${first ? failureLine(first) : 'no details'}\n`);
      const others = report.failures.length - 1 + (report.moreFailures ?? 0);
      if (others > 0) io.out(`and ${plural(others, 'more failure')} (--json lists them)\n`);
    }
    return EXIT.failed;
  }
  if (!json) {
    io.out(`${paint(io, 'green', verifiedLine(report))}\n`);
    if (report.unsignedTail > 0) {
      io.out(
        `  ${plural(report.unsignedTail, 'event')} after the last checkpoint ${report.unsignedTail === 1 ? 'is' : 'are'} not signed yet` +
          (report.tailVouched
            ? ' (each carries a valid MAC: written by a node)\n'
            : ' (MACs not checked: the key-encryption key file could not be read)\n'),
      );
    }
    if (report.mode === 'quick')
      io.out('  event bodies were not read: run with --full to check every event\n');
  }
  return EXIT.ok;
}
