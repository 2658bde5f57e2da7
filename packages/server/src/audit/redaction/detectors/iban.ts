import type { Detector, Span } from '../detector.js';
import { IBAN_LENGTHS, LONGEST_IBAN, SHORTEST_IBAN } from './iban-lengths.js';

// Country code, check digits, then up to the longest BBAN in alphanumerics with single spaces allowed.
// Greedy on purpose: the country's length then says where the IBAN ends, whatever follows it.
const CANDIDATE = new RegExp(
  `(?<![A-Za-z0-9])[A-Za-z]{2}\\d{2}(?: ?[A-Za-z0-9]){${SHORTEST_IBAN - 4},${LONGEST_IBAN - 4}}`,
  'g',
);

/**
 * International bank account numbers, compact (`DE89370400440532013000`) or printed in groups of four
 * (`DE89 3704 0044 0532 0130 00`), in upper or lower case. The length must be the one registered for the
 * country and the ISO 13616 mod-97 check must give 1, which a random string passes one time in 97.
 */
export const ibanDetector: Detector = {
  name: 'iban',
  minLength: SHORTEST_IBAN,
  minDigits: 2, // the check digits
  find(text: string): Span[] {
    const spans: Span[] = [];
    // One shared pattern is safe: find() runs to completion without yielding, so nothing else moves
    // lastIndex in between. lastIndex is set by hand so a rejected candidate does not swallow the text
    // after it, which may hold a real IBAN.
    CANDIDATE.lastIndex = 0;
    for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
      const end = ibanEnd(text, match.index, match[0]);
      if (end === undefined) {
        CANDIDATE.lastIndex = match.index + 1;
        continue;
      }
      spans.push({ start: match.index, end });
      CANDIDATE.lastIndex = end;
    }
    return spans;
  },
};

/** Where the IBAN starting at `start` ends, or undefined when the candidate is not a valid IBAN. */
function ibanEnd(text: string, start: number, candidate: string): number | undefined {
  const length = IBAN_LENGTHS.get(candidate.slice(0, 2).toUpperCase());
  if (length === undefined) return undefined;
  let compact = '';
  let rawLength = 0;
  while (compact.length < length && rawLength < candidate.length) {
    const char = candidate[rawLength++];
    if (char !== ' ' && char !== undefined) compact += char;
  }
  if (compact.length < length) return undefined;
  const end = start + rawLength;
  if (/[A-Za-z0-9]/.test(text.charAt(end))) return undefined;
  const raw = text.slice(start, end);
  if (raw.includes(' ') && !isGroupedByFour(raw)) return undefined;
  return hasValidCheckDigits(compact.toUpperCase()) ? end : undefined;
}

function isGroupedByFour(raw: string): boolean {
  const groups = raw.split(' ');
  return groups.every((group, index) =>
    index === groups.length - 1 ? group.length >= 1 && group.length <= 4 : group.length === 4,
  );
}

/** ISO 13616: move the first four characters to the end, read letters as 10-35, and take the rest mod 97. */
function hasValidCheckDigits(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      remainder = (remainder * 10 + (code - 48)) % 97;
    } else {
      remainder = (remainder * 100 + (code - 55)) % 97;
    }
  }
  return remainder === 1;
}
