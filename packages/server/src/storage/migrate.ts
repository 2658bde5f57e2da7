import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Storage } from './database.js';
import { initial } from './migrations/0001-initial.js';
import { agentSuspendedFrom } from './migrations/0002-agent-suspended-from.js';
import { merkleAuditLog } from './migrations/0003-merkle-audit-log.js';
import { approvals } from './migrations/0004-approvals.js';
import { budgets } from './migrations/0005-budgets.js';
import { auditTamperEvidence } from './migrations/0006-audit-tamper-evidence.js';
import { delegationGrants } from './migrations/0007-delegation-grants.js';
import { mcpServers } from './migrations/0008-mcp-servers.js';
import { llmProviders } from './migrations/0009-llm-providers.js';
import { llmShadowRuns } from './migrations/0010-llm-shadow-runs.js';
import { consoleSessions } from './migrations/0011-console-sessions.js';
import { consoleReadIndexes } from './migrations/0012-console-read-indexes.js';
import { trustTiers } from './migrations/0013-trust-tiers.js';
import { taskHistory } from './migrations/0014-task-history.js';
import { stepUp } from './migrations/0015-step-up.js';
import { policyChanges } from './migrations/0016-policy-changes.js';
import { recertification } from './migrations/0017-recertification.js';

/** Migrations in order; a new one gets the next number and is never edited once released. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-agent-suspended-from': agentSuspendedFrom,
  '0003-merkle-audit-log': merkleAuditLog,
  '0004-approvals': approvals,
  '0005-budgets': budgets,
  '0006-audit-tamper-evidence': auditTamperEvidence,
  '0007-delegation-grants': delegationGrants,
  '0008-mcp-servers': mcpServers,
  '0009-llm-providers': llmProviders,
  '0010-llm-shadow-runs': llmShadowRuns,
  '0011-console-sessions': consoleSessions,
  '0012-console-read-indexes': consoleReadIndexes,
  '0013-trust-tiers': trustTiers,
  '0014-task-history': taskHistory,
  '0015-step-up': stepUp,
  '0017-recertification': recertification,
  '0016-policy-changes': policyChanges,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly current: string | null;
}

/** Brings the schema to the latest version. Safe to run on several nodes at once (the migrator locks). */
export async function migrateToLatest(storage: Storage): Promise<MigrationReport> {
  // Kysely looks for its bookkeeping tables across every schema; pin them to ours, so databases
  // holding several Warden schemas (one per test, one per deployment) do not see each other's.
  const schema =
    storage.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(storage.db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: storage.db,
    provider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const result = await migrateWithRetry(migrator);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  const done = all.filter((m) => m.executedAt !== undefined);
  return { applied, current: done.at(-1)?.name ?? null };
}

/**
 * Kysely's migrator lists tables of every schema while it checks its own; on a PostgreSQL server
 * where another deployment (or test) drops a schema at that moment the listing fails with "schema
 * ... does not exist". That is not ours, so it is tried again a few times.
 */
async function migrateWithRetry(migrator: Migrator): Promise<MigrationResultSet> {
  for (let attempt = 1; ; attempt++) {
    const result = await migrator.migrateToLatest();
    const message = (result.error as Error | undefined)?.message ?? '';
    if (!result.error || attempt >= 5 || !/schema ".*" does not exist/.test(message)) return result;
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}
