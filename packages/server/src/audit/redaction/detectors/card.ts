import type { Detector, Span } from '../detector.js';
import { passesLuhn } from '../digits.js';
import { execAll } from '../exec-all.js';

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

// Runs of digit groups joined by single spaces or dashes, not glued to letters or other digits.
const DIGIT_GROUPS = /(?<![0-9A-Za-z])\d+(?:[ -]\d+)*(?![0-9A-Za-z])/g;
const GROUP = /\d+/g;

/**
 * Payment card numbers: 13 to 19 digits, written contiguously or in groups (4-4-4-4, 4-6-5, 4-4-4-4-3...)
 * separated by single spaces or dashes, passing the Luhn check and starting like a real card number.
 */
export const cardDetector: Detector = {
  name: 'card',
  minLength: MIN_DIGITS,
  minDigits: MIN_DIGITS,
  find(text: string): Span[] {
    const spans: Span[] = [];
    for (const run of execAll(DIGIT_GROUPS, text)) {
      if (run[0].length < MIN_DIGITS) continue;
      for (const span of cardsInRun(run[0])) {
        spans.push({ start: run.index + span.start, end: run.index + span.end });
      }
    }
    return spans;
  },
};

/** Whether a number (a JSON number's digits, say) is a card number on its own. */
export function isCardNumber(digits: string): boolean {
  return (
    digits.length >= MIN_DIGITS && digits.length <= MAX_DIGITS && hasCardPrefix(digits) && passesLuhn(digits)
  );
}

interface Group {
  readonly start: number;
  readonly end: number;
  readonly digits: string;
}

/**
 * A run can hold a card next to other numbers ("qty 2 4111 1111 1111 1111"), so every window of whole
 * groups is tried, longest first from each starting group. A multi-group window starts with a group of
 * four digits and continues with groups of three to six (the last may have two), which is how card
 * numbers are printed: 4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3, 4-4-4-2.
 */
function cardsInRun(run: string): Span[] {
  const groups: Group[] = [];
  for (const match of execAll(GROUP, run)) {
    groups.push({ start: match.index, end: match.index + match[0].length, digits: match[0] });
  }
  const spans: Span[] = [];
  let first = 0;
  while (first < groups.length) {
    const last = longestCardFrom(groups, first);
    if (last === undefined) {
      first++;
      continue;
    }
    spans.push({ start: groupAt(groups, first).start, end: groupAt(groups, last).end });
    first = last + 1;
  }
  return spans;
}

function longestCardFrom(groups: readonly Group[], first: number): number | undefined {
  const head = groupAt(groups, first);
  if (head.digits.length !== 4) return isCardNumber(head.digits) ? first : undefined;
  let digits = head.digits;
  let found: number | undefined;
  for (let last = first + 1; last < groups.length; last++) {
    const next = groupAt(groups, last).digits;
    if (next.length < 2 || next.length > 6) break;
    digits += next;
    if (digits.length > MAX_DIGITS) break;
    // A two-digit group only ever ends a 14-digit Diners number printed 4-4-4-2.
    if (next.length === 2) return digits.length === 14 && isCardNumber(digits) ? last : found;
    if (isCardNumber(digits)) found = last;
  }
  return found;
}

function groupAt(groups: readonly Group[], index: number): Group {
  const group = groups[index];
  if (group === undefined) throw new Error(`no digit group ${index}`);
  return group;
}

/**
 * Issuer numbers start with 3 (Amex, Diners, JCB), 4 (Visa), 5 (Mastercard, Maestro), 6 (Discover,
 * UnionPay, Maestro) or 2221-2720 (Mastercard). Requiring this on top of Luhn (which one random number in
 * ten passes) keeps long order numbers, timestamps and the like out.
 */
function hasCardPrefix(digits: string): boolean {
  const first = digits.charCodeAt(0) - 48;
  if (first >= 3 && first <= 6) return true;
  const four = Number(digits.slice(0, 4));
  return four >= 2221 && four <= 2720;
}
