import type { EntryKind } from '../managed/managed-entries.js';
import { MCP_SEAL_PREFIX } from './secrets.js';
import { type ConfiguredValue, checkServerEntry, type ServerEntry } from './server-entry.js';
import { MAX_SERVERS } from './servers-file.js';
import { shownEntry } from './shown-entry.js';
import type { UpstreamPool } from './upstream-pool.js';

/**
 * Upstream MCP servers as entries managed through the API (`ManagedEntries`): the servers file's and
 * the ones a tenant's admins add, applied to the node's pool (unchanged servers keep running).
 * `commands` are the programs stdio servers added through the API may run (WARDEN_MCP_API_COMMANDS).
 */
export function mcpServerKind(
  pool: UpstreamPool,
  commands: readonly string[],
  publicOnly: boolean,
): EntryKind<ServerEntry> {
  return {
    what: 'MCP server',
    fileSetting: 'WARDEN_MCP_SERVERS_FILE',
    table: 'mcp_servers',
    auditPrefix: 'mcp_server',
    sealPrefix: MCP_SEAL_PREFIX,
    signal: 'mcp.servers.changed',
    maxEntries: MAX_SERVERS,
    check: (input, rules) => checkServerEntry(input, 'body', { api: { ...rules, commands, publicOnly } }),
    asInput,
    patchable: [
      'command',
      'args',
      'env',
      'cwd',
      'url',
      'headers',
      'timeoutSeconds',
      'tools',
      'allow',
      'roots',
    ],
    merged: ['env', 'headers'],
    sealed: (entry) =>
      new Map(Object.entries(valuesOf(entry)).flatMap(([field, value]) => sealedAt(field, value))),
    shown: shownEntry,
    apply: (tenantId, entries) => pool.replace(tenantId, entries),
  };
}

/** A stored entry as API input again: what a patch applies to. */
function asInput(entry: ServerEntry): Record<string, unknown> {
  return {
    name: entry.name,
    transport: entry.transport,
    timeoutSeconds: entry.timeoutMs / 1_000,
    tools: Object.fromEntries(
      Object.entries(entry.estimates).map(([tool, usd]) => [tool, { estimateUsd: usd }]),
    ),
    allow: [...entry.allow],
    // roots is accepted only with allow including roots, so an empty list is left out.
    ...(entry.roots.length > 0 ? { roots: entry.roots.map((root) => ({ ...root })) } : {}),
    ...(entry.transport === 'http'
      ? { url: entry.url, headers: { ...entry.headers } }
      : {
          command: entry.command,
          args: [...entry.args],
          env: { ...entry.env },
          ...(entry.cwd ? { cwd: entry.cwd } : {}),
        }),
  };
}

function valuesOf(entry: ServerEntry): Record<string, ConfiguredValue> {
  const prefix = entry.transport === 'http' ? 'headers' : 'env';
  const values = entry.transport === 'http' ? entry.headers : entry.env;
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}.${key}`, value]));
}

function sealedAt(field: string, value: ConfiguredValue): [string, string][] {
  return typeof value === 'object' && 'sealed' in value ? [[field, value.sealed]] : [];
}
