import { readFile } from 'node:fs/promises';
import type { ConfiguredValue } from '../mcp/server-entry.js';

/** Where configured secrets come from when they are needed. */
export interface SecretSources {
  readonly env: NodeJS.ProcessEnv;
  /** Opens a value stored sealed for `field` of its owner (see SecretBox). */
  readonly reveal: (box: string, field: string) => string;
}

/**
 * A configured value, read now: plain, from the node's environment, from a file (trailing newline
 * dropped) or from the sealed store. A missing one fails, naming the reference (`at`) but never a value.
 */
export async function resolveValue(
  value: ConfiguredValue,
  at: string,
  field: string,
  sources: SecretSources,
): Promise<string> {
  if (typeof value === 'string') return value;
  if ('sealed' in value) return sources.reveal(value.sealed, field);
  if ('fromEnv' in value) {
    const found = sources.env[value.fromEnv];
    if (found === undefined) throw new Error(`${at}: the environment variable ${value.fromEnv} is not set`);
    return found;
  }
  try {
    return (await readFile(value.fromFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(
      `${at}: cannot read ${value.fromFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}
