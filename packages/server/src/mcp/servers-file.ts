import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { WardenError } from '../errors.js';
import { checkServerEntry, type ServerEntry } from './server-entry.js';

/** The most upstream servers one tenant may have. */
export const MAX_SERVERS = 100;

/**
 * Reads the servers file (`WARDEN_MCP_SERVERS_FILE`): `servers:`, a list of upstream MCP servers of
 * the default tenant. A mistake names the file and the field, and the node does not start with it.
 */
export async function readServersFile(path: string): Promise<ServerEntry[]> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`WARDEN_MCP_SERVERS_FILE ${path} cannot be read: ${(error as Error).message}`);
  }
  try {
    return checkServersFile(parsed ?? {}, dirname(path));
  } catch (error) {
    if (error instanceof WardenError) throw new Error(`WARDEN_MCP_SERVERS_FILE ${path}: ${error.message}`);
    throw error;
  }
}

export function checkServersFile(parsed: unknown, baseDir: string): ServerEntry[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WardenError('invalid_request', 'must hold a mapping with a servers list');
  }
  const { servers = [], ...rest } = parsed as Record<string, unknown>;
  for (const key of Object.keys(rest))
    throw new WardenError('invalid_request', `${key}: unknown key (expected servers)`);
  if (!Array.isArray(servers)) throw new WardenError('invalid_request', 'servers: must be a list');
  if (servers.length > MAX_SERVERS) {
    throw new WardenError('invalid_request', `servers: at most ${MAX_SERVERS} servers`);
  }
  const names = new Set<string>();
  return servers.map((input, i) => {
    const entry = checkServerEntry(input, `servers[${i}]`, { baseDir });
    if (names.has(entry.name)) {
      throw new WardenError('invalid_request', `servers[${i}].name: ${entry.name} appears twice`);
    }
    names.add(entry.name);
    return entry;
  });
}
