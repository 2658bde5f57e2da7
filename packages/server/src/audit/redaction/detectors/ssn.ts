import type { Detector, Span } from '../detector.js';
import { execAll } from '../exec-all.js';

// AAA-GG-SSSS or AAA GG SSSS, with the same separator twice.
const FORMATTED = /(?<![0-9A-Za-z-])(\d{3})([ -])(\d{2})\2(\d{4})(?![0-9A-Za-z-])/g;
const CONTIGUOUS = /(?<![0-9A-Za-z])(\d{3})(\d{2})(\d{4})(?![0-9A-Za-z])/g;

// "ssn", "SSN#", "user_ssn", "social security (number)", "soc. sec.".
const CONTEXT =
  /(?<![A-Za-z])ssns?(?![A-Za-z])|social[\s_-]*security|(?<![A-Za-z])soc\.?[\s_-]*sec(?![A-Za-z])/i;
const CONTEXT_BEFORE = 40;
const CONTEXT_AFTER = 20;

/**
 * US Social Security numbers. Written as AAA-GG-SSSS (dashes or spaces) they are taken on their own. Nine
 * bare digits are far more often an invoice, order or account number, so they are taken only when a context
 * word ("ssn", "social security", "soc sec") is within 40 characters before or 20 after them in the same
 * string. Either way the number must be one the SSA could issue: area not 000, 666 or 900-999 (900-999 are
 * ITINs and advertising numbers), group not 00, serial not 0000.
 */
export const ssnDetector: Detector = {
  name: 'ssn',
  minLength: 9,
  minDigits: 9,
  find(text: string): Span[] {
    const spans: Span[] = [];
    for (const match of execAll(FORMATTED, text)) {
      if (isIssuable(match[1], match[3], match[4])) {
        spans.push({ start: match.index, end: match.index + match[0].length });
      }
    }
    for (const match of execAll(CONTIGUOUS, text)) {
      const end = match.index + match[0].length;
      if (isIssuable(match[1], match[2], match[3]) && hasContextNear(text, match.index, end)) {
        spans.push({ start: match.index, end });
      }
    }
    return spans;
  },
};

function isIssuable(area = '', group = '', serial = ''): boolean {
  const areaNumber = Number(area);
  return areaNumber !== 0 && areaNumber !== 666 && areaNumber < 900 && group !== '00' && serial !== '0000';
}

function hasContextNear(text: string, start: number, end: number): boolean {
  const window = text.slice(Math.max(0, start - CONTEXT_BEFORE), end + CONTEXT_AFTER);
  return CONTEXT.test(window);
}
