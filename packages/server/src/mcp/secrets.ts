import { readFile } from 'node:fs/promises';
import type { ConfiguredValue } from './server-entry.js';

/** Where an upstream's secret values come from when it starts. */
export interface SecretSources {
  readonly env: NodeJS.ProcessEnv;
  /** Opens a value stored sealed for `field` (`env.TOKEN`, `headers.Authorization`) of this server. */
  readonly reveal: (box: string, field: string) => string;
}

/**
 * The values an upstream starts with, its secrets read now: from the node's environment, a file
 * (trailing newline dropped) or the sealed store. A missing one fails the start, naming the reference
 * but never a value.
 */
export async function resolveValues(
  values: Readonly<Record<string, ConfiguredValue>>,
  serverName: string,
  kind: 'env' | 'headers',
  sources: SecretSources,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const at = `${serverName}.${kind}.${key}`;
    if (typeof value === 'string') {
      resolved[key] = value;
    } else if ('sealed' in value) {
      resolved[key] = sources.reveal(value.sealed, `${kind}.${key}`);
    } else if ('fromEnv' in value) {
      const found = sources.env[value.fromEnv];
      if (found === undefined) throw new Error(`${at}: the environment variable ${value.fromEnv} is not set`);
      resolved[key] = found;
    } else {
      try {
        resolved[key] = (await readFile(value.fromFile, 'utf8')).replace(/\r?\n$/, '');
      } catch (error) {
        throw new Error(
          `${at}: cannot read ${value.fromFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
  }
  return resolved;
}

/** What a stored secret of a server is bound to: sealed for one field of one server of one tenant. */
export function secretBinding(tenantId: string, server: string, field: string): string {
  return `mcp-server|${tenantId}|${server}|${field}`;
}
