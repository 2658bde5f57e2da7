import { canonicalJson } from '@warden/policy';
import type { RangeHashes } from './engine.js';
import type { VerifiableEvent } from './event-checks.js';
import {
  ExportFormatError,
  type ExportHeader,
  parseCheckpointLine,
  parseExportLine,
  parseHeader,
  parseSuffixLine,
} from './export-format.js';
import type { StoredCheckpoint } from './signed-checkpoints.js';

/** Everything of an export but its events: what the verifier must know before streaming them. */
export interface ExportOutline {
  readonly header: ExportHeader;
  readonly checkpoints: readonly StoredCheckpoint[];
  readonly suffix: RangeHashes;
}

// The kinds whose lines the first pass reads; event lines mention neither word unless their contents
// happen to, and parsing those anyway is harmless.
const TAIL_WORDS = ['"checkpoint"', '"suffix"'];

/**
 * First pass. The checkpoints come after the events in an export, but the verifier must know their
 * sizes while streaming the events (to compare the root there without keeping the events), so they
 * are collected first, skipping the JSON of event lines.
 */
export async function readExportOutline(lines: AsyncIterable<string>): Promise<ExportOutline> {
  let header: ExportHeader | undefined;
  const checkpoints: StoredCheckpoint[] = [];
  let suffix: RangeHashes | undefined;
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (line === 1) {
      header = parseHeader(text);
      continue;
    }
    if (!TAIL_WORDS.some((word) => text.includes(word))) continue;
    const fields = parseExportLine(text, line);
    if (fields.kind === 'checkpoint') checkpoints.push(parseCheckpointLine(fields, line));
    else if (fields.kind === 'suffix') {
      if (suffix) throw new ExportFormatError(line, 'a second suffix line');
      suffix = parseSuffixLine(fields, line);
    }
  }
  if (!header) throw new ExportFormatError(1, 'the export is empty');
  if (!suffix) throw new ExportFormatError(line, 'the export ends without its suffix line');
  if (suffix.size < header.end)
    throw new ExportFormatError(line, `the suffix ends before event ${header.end}`);
  for (const checkpoint of checkpoints) {
    if (checkpoint.size <= header.begin || checkpoint.size > suffix.size) {
      throw new ExportFormatError(
        line,
        `a checkpoint of size ${checkpoint.size} lies outside the export's range (${header.begin}, ${suffix.size}]`,
      );
    }
  }
  return { header, checkpoints, suffix };
}

type Section = 'events' | 'checkpoints' | 'end';

const PAGE_SIZE = 1_000;

/**
 * Second pass: the events, as leaves at their positions begin, begin + 1, ... while holding every line
 * to the format's order (header, events, checkpoints, suffix) and to what the first pass saw. Each is
 * handed on under the seq its body claims, so a removed event shows as a gap there; how many events
 * there are against the header's range is the engine's to judge (fewer or more is tampering, not a
 * format error).
 */
export async function* readExportEvents(
  lines: AsyncIterable<string>,
  outline: ExportOutline,
): AsyncGenerator<VerifiableEvent[]> {
  const { begin } = outline.header;
  let page: VerifiableEvent[] = [];
  let section: Section = 'events';
  let line = 0;
  let seq = begin;
  let checkpoints = 0;
  let blankLine: number | undefined;
  for await (const text of lines) {
    line += 1;
    if (line === 1) continue;
    if (text === '') {
      blankLine ??= line;
      continue;
    }
    if (blankLine !== undefined) throw new ExportFormatError(blankLine, 'an empty line');
    const fields = parseExportLine(text, line);
    const kind = fields.kind;
    if (kind === 'event' && section === 'events') {
      if (typeof fields.event !== 'object' || fields.event === null) {
        throw new ExportFormatError(line, '"event" is not an object');
      }
      page.push({
        seq: claimedSeq(fields.event) ?? seq,
        body: canonicalJson(fields.event),
        parsed: fields.event,
      });
      seq += 1;
      if (page.length === PAGE_SIZE) {
        yield page;
        page = [];
      }
    } else if ((kind === 'checkpoint' || kind === 'suffix') && section !== 'end') {
      if (section === 'events' && page.length > 0) yield page;
      section = kind === 'suffix' ? 'end' : 'checkpoints';
      if (kind === 'checkpoint') checkpoints += 1;
    } else {
      throw new ExportFormatError(line, `unexpected ${JSON.stringify(kind)} line ${placeOf(section)}`);
    }
  }
  if (section !== 'end') throw new ExportFormatError(line, 'the export ends without its suffix line');
  if (checkpoints !== outline.checkpoints.length) {
    throw new ExportFormatError(line, 'the export changed while it was being verified');
  }
}

function claimedSeq(event: object): number | undefined {
  const seq = (event as { seq?: unknown }).seq;
  return Number.isSafeInteger(seq) && (seq as number) >= 0 ? (seq as number) : undefined;
}

function placeOf(section: Section): string {
  if (section === 'events') return 'among the events';
  return section === 'checkpoints' ? 'among the checkpoints' : 'after the suffix';
}
