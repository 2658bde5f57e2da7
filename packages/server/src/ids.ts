import { randomBytes } from 'node:crypto';

export type IdPrefix = 'ten' | 'usr' | 'grp' | 'agt' | 'key' | 'tok' | 'dec' | 'tsk' | 'evt' | 'pol' | 'req';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * `prefix_` + 26 base32 characters: 48 bits of milliseconds then 80 random bits, so ids sort by
 * creation time (index locality, readable ordering) and cannot be guessed.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let out = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(10);
  let bits = 0;
  let value = 0;
  for (const byte of random) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
  }
  return `${prefix}_${out}`;
}

const ID_PATTERN = /^[a-z]{3}_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
