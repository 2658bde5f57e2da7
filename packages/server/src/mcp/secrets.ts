import { readFile } from 'node:fs/promises';
import type { ConfiguredValue } from './server-entry.js';

/**
 * The values an upstream starts with, its secret references read now: from the node's environment or
 * a file (trailing newline dropped). A missing one fails the start, naming the reference but never a
 * value.
 */
export async function resolveValues(
  values: Readonly<Record<string, ConfiguredValue>>,
  at: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string') {
      resolved[key] = value;
    } else if ('fromEnv' in value) {
      const found = env[value.fromEnv];
      if (found === undefined)
        throw new Error(`${at}.${key}: the environment variable ${value.fromEnv} is not set`);
      resolved[key] = found;
    } else {
      try {
        resolved[key] = (await readFile(value.fromFile, 'utf8')).replace(/\r?\n$/, '');
      } catch (error) {
        throw new Error(
          `${at}.${key}: cannot read ${value.fromFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
  }
  return resolved;
}
