import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { WardenError } from '../errors.js';
import { checkProviderEntry, type ProviderEntry } from './provider-entry.js';

/** The most providers one tenant may have. */
export const MAX_PROVIDERS = 50;

/**
 * Reads the providers file (`WARDEN_LLM_PROVIDERS_FILE`): `providers:`, the model providers of the
 * default tenant. A mistake names the file and the field, and the node does not start with it.
 */
export async function readProvidersFile(path: string): Promise<ProviderEntry[]> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`WARDEN_LLM_PROVIDERS_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  try {
    return checkProvidersFile(parsed ?? {});
  } catch (error) {
    if (error instanceof WardenError) throw new Error(`WARDEN_LLM_PROVIDERS_FILE ${path}: ${error.message}`);
    throw error;
  }
}

export function checkProvidersFile(parsed: unknown): ProviderEntry[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WardenError('invalid_request', 'must hold a mapping with a providers list');
  }
  const { providers = [], ...rest } = parsed as Record<string, unknown>;
  for (const key of Object.keys(rest))
    throw new WardenError('invalid_request', `${key}: unknown key (expected providers)`);
  if (!Array.isArray(providers)) throw new WardenError('invalid_request', 'providers: must be a list');
  if (providers.length > MAX_PROVIDERS) {
    throw new WardenError('invalid_request', `providers: at most ${MAX_PROVIDERS} providers`);
  }
  const names = new Set<string>();
  return providers.map((input, i) => {
    const entry = checkProviderEntry(input, `providers[${i}]`);
    if (names.has(entry.name)) {
      throw new WardenError('invalid_request', `providers[${i}].name: ${entry.name} appears twice`);
    }
    names.add(entry.name);
    return entry;
  });
}
