/**
 * Counts ASCII digits, stopping once `enough` are seen: a cheap gate before running the detectors'
 * regular expressions, as most strings on the hot path have few or no digits.
 */
export function countDigitsUpTo(text: string, enough: number): number {
  let seen = 0;
  for (let i = 0; i < text.length && seen < enough; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) seen++;
  }
  return seen;
}

/** The ASCII digits of `text`, in order, separators dropped. */
export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/** The Luhn (mod 10) check used by payment card numbers; `digits` must hold only ASCII digits. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}
