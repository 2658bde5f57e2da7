/**
 * The node the console benchmark seeds and measures: SQLite in a data directory of its own (the
 * database and the node's key files together, so a seeded directory can be reused by the next run),
 * or a PostgreSQL URL with its keys in a temporary directory.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../packages/server/src/config/config.js';
import { createNode, type WardenNode } from '../packages/server/src/main.js';

export const EXAMPLE_POLICIES = fileURLToPath(new URL('../examples/policies', import.meta.url));

/** `target`: a directory for SQLite (created if missing), or a postgres:// URL. */
export async function startSeedNode(
  target?: string,
  settings: Record<string, unknown> = {},
): Promise<WardenNode> {
  const postgres = target?.startsWith('postgres');
  const dataDir = postgres || !target ? mkdtempSync(join(tmpdir(), 'warden-console-')) : target;
  mkdirSync(dataDir, { recursive: true });
  const config = loadConfig({
    overrides: {
      databaseUrl: postgres ? target : `sqlite:${join(dataDir, 'warden.db')}`,
      dataDir,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      sqliteSynchronous: 'normal',
      policyDir: EXAMPLE_POLICIES,
      ...settings,
    },
  });
  return createNode(config);
}
