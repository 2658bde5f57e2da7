import type { Detector, Span } from '../detector.js';
import { execAll } from '../exec-all.js';

// The look-behind anchors a match at the start of a run of local-part characters, so a long run with no
// valid domain after it is tried once, not once per position (which would be quadratic).
const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;

/**
 * Addresses like `jane.doe+tag@mail.example.co.uk`; the top-level domain must be alphabetic, so package
 * specifiers (`pkg@1.2.3`) and `user@localhost` are not taken.
 */
export const emailDetector: Detector = {
  name: 'email',
  minLength: 6, // a@b.cd
  minDigits: 0,
  find(text: string): Span[] {
    if (!text.includes('@')) return [];
    const spans: Span[] = [];
    for (const match of execAll(EMAIL, text)) {
      // git@host is the shared SSH user of Git hosting (git@github.com:org/repo), not a person's address.
      if (match[0].startsWith('git@')) continue;
      spans.push({ start: match.index, end: match.index + match[0].length });
    }
    return spans;
  },
};
