import { digitsOf } from '../digits.js';
import { execAll } from '../exec-all.js';

export const MIN_PHONE_DIGITS = 7;
// E.164 allows at most 15 digits, country code included.
const MAX_PHONE_DIGITS = 15;

// A run that could be written as a phone number: an optional "+" or "(", then at least seven digits among
// the separators phone numbers use. It must not continue a word, a number or a dashed or dotted token
// (UUIDs, versions, hashes). Separators and digits never overlap, so the repetition cannot backtrack badly.
const RUN = /(?<![A-Za-z0-9_.-])\+?\(?\d(?:[ ().\-/]*\d){6,}/g;
const GLUED_AFTER = /[A-Za-z0-9_:]/;
const LAST_GROUP = /[ ().\-/]+\d+$/;
const CHUNK = /\S+/g;
// Dates (2026-11-21, 21.11.2026, 11/21/2026), IP addresses and versions with four or more parts.
const NOT_PHONE_CHUNK =
  /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d+(?:\.\d+){3,})$/;

export interface PhoneCandidate {
  /** Where the candidate starts in the scanned text. */
  readonly start: number;
  readonly text: string;
}

/**
 * The parts of `text` worth handing to the (slow) phone library: runs of digits and phone separators,
 * without a trailing group that runs into a timestamp or word, without dates, IP addresses or versions at
 * either end, holding 7 to 15 digits, and for national numbers (no "+") a digit count in `nationalLengths`.
 */
export function phoneCandidates(text: string, nationalLengths: ReadonlySet<number>): PhoneCandidate[] {
  const candidates: PhoneCandidate[] = [];
  for (const run of execAll(RUN, text)) {
    const trimmed = trimGluedTail(run[0], text.charAt(run.index + run[0].length));
    const candidate = trimmed === undefined ? undefined : withoutNonPhoneEnds(trimmed);
    if (candidate === undefined) continue;
    const digitCount = digitsOf(candidate.text).length;
    if (digitCount < MIN_PHONE_DIGITS || digitCount > MAX_PHONE_DIGITS) continue;
    if (!candidate.text.startsWith('+') && !nationalLengths.has(digitCount)) continue;
    candidates.push({ start: run.index + candidate.start, text: candidate.text });
  }
  return candidates;
}

/**
 * A run followed by a letter, digit or colon runs into something else ("2026-11-21T10:15",
 * "555 0100 12:30"); its last group belongs to that and is dropped.
 */
function trimGluedTail(run: string, next: string): string | undefined {
  if (!GLUED_AFTER.test(next)) return run;
  const lastGroup = LAST_GROUP.exec(run);
  return lastGroup === null ? undefined : run.slice(0, lastGroup.index);
}

/** Drops space-separated dates, IP addresses and versions from both ends ("2026-11-21 415 555 2671"). */
function withoutNonPhoneEnds(run: string): PhoneCandidate | undefined {
  const chunks = execAll(CHUNK, run);
  let first = 0;
  let last = chunks.length - 1;
  while (first <= last && NOT_PHONE_CHUNK.test(chunks[first]?.[0] ?? '')) first++;
  while (last >= first && NOT_PHONE_CHUNK.test(chunks[last]?.[0] ?? '')) last--;
  const head = chunks[first];
  const tail = chunks[last];
  if (head === undefined || tail === undefined || first > last) return undefined;
  return { start: head.index, text: run.slice(head.index, tail.index + tail[0].length) };
}
