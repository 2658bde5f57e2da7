import { type CountryCode, findPhoneNumbersInText, Metadata } from 'libphonenumber-js';
import type { Detector, Span } from '../detector.js';
import { MIN_PHONE_DIGITS, phoneCandidates } from './phone-candidates.js';

// Bounds the time one string can cost: past this many library calls, the remaining candidates (which
// already passed the cheap checks) are redacted unvalidated. Over-redacting a pathological string beats
// spending a second of CPU on the decision path or letting its numbers through.
const LIBRARY_CALLS_PER_TEXT = 100;

/**
 * Phone numbers, found and validated by libphonenumber-js (default "min" metadata, leniency VALID): any
 * number written in international form (+44 20 7946 0958) and national numbers of the default country
 * ((415) 555-2671 for US). The library is slow (10-130 µs a call, and superlinear on long text), so it is
 * only ever given short candidates that survive cheap checks (see phoneCandidates).
 */
export function createPhoneDetector(defaultCountry: CountryCode = 'US'): Detector {
  const nationalLengths = nationalNumberLengths(defaultCountry);
  return {
    name: 'phone',
    minLength: MIN_PHONE_DIGITS,
    minDigits: MIN_PHONE_DIGITS,
    find(text: string): Span[] {
      const spans: Span[] = [];
      let calls = 0;
      for (const candidate of phoneCandidates(text, nationalLengths)) {
        if (++calls > LIBRARY_CALLS_PER_TEXT) {
          spans.push({ start: candidate.start, end: candidate.start + candidate.text.length });
          continue;
        }
        for (const found of findPhoneNumbersInText(candidate.text, { defaultCountry })) {
          spans.push({ start: candidate.start + found.startsAt, end: candidate.start + found.endsAt });
        }
      }
      return spans;
    },
  };
}

/**
 * Digit counts a national number of the country can have as written: its possible lengths, plus one for a
 * trunk or long-distance prefix (0 in most of Europe, 1 in North America).
 */
function nationalNumberLengths(country: CountryCode): ReadonlySet<number> {
  const metadata = new Metadata();
  metadata.selectNumberingPlan(country);
  const lengths = metadata.numberingPlan?.possibleLengths() ?? [];
  return new Set(lengths.flatMap((length) => [length, length + 1]));
}
