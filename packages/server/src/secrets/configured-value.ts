import { readFile } from 'node:fs/promises';

/**
 * A secret held out of the configuration: read from the node's environment or a file when it is
 * needed (the operator's files), or given once through the admin API and stored sealed
 * (`SecretBox`), so tokens and keys never sit in configuration, API answers, logs or the audit.
 */
export type SecretRef =
  | { readonly fromEnv: string }
  | { readonly fromFile: string }
  | { readonly sealed: string };

/** A configured value (an upstream's env or header, a provider's key): plain, or a secret reference. */
export type ConfiguredValue = string | SecretRef;

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
