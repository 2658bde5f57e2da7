import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { WardenNode } from '../../src/main.js';

/**
 * Written by every authenticated request, allowed or not: the last-used bookkeeping of the caller's
 * own credential, not a change the request made.
 */
const BOOKKEEPING = new Set(['last_used_at', 'last_active_at']);

/** Signed in the background over events already in `audit_events`, on a timer of their own. */
const BACKGROUND_TABLES = new Set(['audit_checkpoints']);

/** Row count and a hash of the rows of every table of the node's database (its own schema only). */
export async function databaseDigest(node: WardenNode): Promise<Record<string, string>> {
  const db = node.storage.db;
  const tables =
    node.storage.dialect === 'postgres'
      ? (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
        ).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows;
  const digest: Record<string, string> = {};
  for (const { name } of tables.sort((a, b) => a.name.localeCompare(b.name))) {
    if (BACKGROUND_TABLES.has(name)) continue;
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows;
    const lines = rows
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .filter((column) => !BOOKKEEPING.has(column))
            .sort()
            .map((column) => [column, String(row[column])]),
        ),
      )
      .sort();
    digest[name] = `${rows.length} rows ${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
  }
  return digest;
}
