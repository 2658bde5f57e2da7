import { randomFillSync } from 'node:crypto';

export type IdPrefix =
  | 'ten'
  | 'usr'
  | 'grp'
  | 'agt'
  | 'key'
  | 'tok'
  | 'dec'
  | 'tsk'
  | 'evt'
  | 'pol'
  | 'req'
  | 'apr'
  | 'grt'
  | 'inc'
  | 'ntf'
  | 'bgt'
  | 'rsv'
  | 'rtl'
  | 'dlg'
  | 'shd'
  | 'rap'
  | 'sur'
  | 'ses'
  | 'sic'
  | 'rcp'
  | 'pls'
  | 'div';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case
const RANDOM_CHARS = 16; // 80 bits

// Random bytes come from a pool: one getrandom call per 4 KiB instead of one per id.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * `prefix_` + 26 base32 characters: 48 bits of milliseconds then 79 random bits, so ids sort by
 * creation time (index locality, readable ordering) and cannot be guessed. Within one millisecond the
 * random part counts up, so ids made by one process also sort in the order they were made.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let time = Math.max(now, lastTime);
  let random: number[];
  if (time === lastTime) {
    random = increment(lastRandom);
    if (random.length === 0) {
      time++;
      random = freshRandom();
    }
  } else {
    random = freshRandom();
  }
  lastTime = time;
  lastRandom = random;
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  let tail = '';
  for (const digit of random) tail += ALPHABET[digit];
  return `${prefix}_${head}${tail}`;
}

function freshRandom(): number[] {
  if (poolOffset + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const digits: number[] = [];
  // One byte per character, keeping 5 bits (4 for the first): 79 random bits. The top bit of the first
  // character stays clear so the counter below has room before it would overflow.
  for (let i = 0; i < RANDOM_CHARS; i++) digits.push((pool[poolOffset + i] ?? 0) & (i === 0 ? 15 : 31));
  poolOffset += RANDOM_CHARS;
  return digits;
}

/** The base32 number plus one, or [] on overflow. */
function increment(digits: readonly number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    const digit = next[i] ?? 0;
    if (digit < 31) {
      next[i] = digit + 1;
      return next;
    }
    next[i] = 0;
  }
  return [];
}

const ID_PATTERN = /^[a-z]{3}_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
