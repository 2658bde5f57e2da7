import { relative } from 'node:path';

/** A path as a person at this terminal would type it: relative when under the working directory. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : `./${rel}`;
}
