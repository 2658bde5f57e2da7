import { setFlagsFromString } from 'node:v8';

/** How far V8 lets the old generation grow past what survived the last full collection. */
export const HEAP_GROWING_PERCENT = 20;

/**
 * A node's garbage is short-lived, but V8 promotes some of it to the old generation, where it stays
 * until the next full collection; by default V8 lets the old generation grow to about three times
 * what survived the last one first, so the resident memory under load ran ~120 MB above idle.
 * Capping the growth makes full collections more frequent (their marking runs mostly off the main
 * thread) and the peak much lower. V8 reads this flag whenever it sets the next limit, so setting it
 * at run time takes effect from the next full collection on. An operator's own setting
 * (`node --heap-growing-percent=N`, or in NODE_OPTIONS) wins.
 */
export function capHeapGrowth(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
