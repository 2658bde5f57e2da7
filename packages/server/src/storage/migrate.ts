import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import type { Storage } from './database.js';
import { initial } from './migrations/0001-initial.js';

/** Migrations in order; a new one gets the next number and is never edited once released. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly current: string | null;
}

/** Brings the schema to the latest version. Safe to run on several nodes at once (the migrator locks). */
export async function migrateToLatest(storage: Storage): Promise<MigrationReport> {
  const migrator = new Migrator({ db: storage.db, provider });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  const done = all.filter((m) => m.executedAt !== undefined);
  return { applied, current: done.at(-1)?.name ?? null };
}
