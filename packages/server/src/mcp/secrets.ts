import { sealBinding } from '../managed/managed-entries.js';
import { resolveValue, type SecretSources } from '../secrets/configured-value.js';
import type { ConfiguredValue } from './server-entry.js';

export type { SecretSources } from '../secrets/configured-value.js';

/** The values an upstream starts with (its env or headers), each read now by `resolveValue`. */
export async function resolveValues(
  values: Readonly<Record<string, ConfiguredValue>>,
  serverName: string,
  kind: 'env' | 'headers',
  sources: SecretSources,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    resolved[key] = await resolveValue(value, `${serverName}.${kind}.${key}`, `${kind}.${key}`, sources);
  }
  return resolved;
}

/** The prefix MCP servers' sealed values are bound under (see sealBinding). */
export const MCP_SEAL_PREFIX = 'mcp-server';

/** What a stored secret of a server is bound to: sealed for one field of one server of one tenant. */
export function secretBinding(tenantId: string, server: string, field: string): string {
  return sealBinding(MCP_SEAL_PREFIX, tenantId, server, field);
}
