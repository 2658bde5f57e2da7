// Tree sizes are plain numbers and may exceed 2^32, where JavaScript's bitwise operators (32-bit) would silently
// wrap; these helpers split a safe integer into two 32-bit halves instead.

const TWO_POW_32 = 2 ** 32;

/** Largest level a subtree may have: 2^52 leaves is the largest power of two below Number.MAX_SAFE_INTEGER. */
export const MAX_LEVEL = 52;

/** 2^level, exact for every level up to MAX_LEVEL. */
export function pow2(level: number): number {
  return 2 ** level;
}

function popcount32(x: number): number {
  let v = x >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function trailingZeros32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Number of set bits of a non-negative safe integer. */
export function popcount(n: number): number {
  return popcount32(n % TWO_POW_32) + popcount32(Math.floor(n / TWO_POW_32));
}

/** Index of the lowest set bit of a positive safe integer. */
export function trailingZeros(n: number): number {
  const low = n % TWO_POW_32;
  return low !== 0 ? trailingZeros32(low) : 32 + trailingZeros32(Math.floor(n / TWO_POW_32));
}

/** Number of bits needed to write a non-negative safe integer (0 for 0). */
export function bitLength(n: number): number {
  const high = Math.floor(n / TWO_POW_32);
  return high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(n % TWO_POW_32);
}

/** Whether bit `level` of a non-negative safe integer is set. */
export function hasBit(n: number, level: number): boolean {
  return Math.floor(n / pow2(level)) % 2 === 1;
}

/** Largest power of two strictly below n (n >= 2): the split point RFC 6962 uses for a tree of n leaves. */
export function largestPowerOfTwoBelow(n: number): number {
  return pow2(bitLength(n - 1) - 1);
}
