import { type Kysely, sql } from 'kysely';
import type { AuditEventInput } from '../../src/audit/audit-log.js';
import { CompactRange, rangeDecomposition } from '../../src/audit/merkle/index.js';
import { subtreeReader } from '../../src/audit/subtree-store.js';
import type { DatabaseVerifyOptions, ExportLines } from '../../src/audit/verify/index.js';
import type { WardenNode } from '../../src/main.js';
import { type Storage, writeTransaction } from '../../src/storage/database.js';
import type { Database } from '../../src/storage/schema.js';

/** Checkpoints only when a test asks for one (checkpointer.run()), so their sizes are known. */
export const MANUAL_CHECKPOINTS = { auditCheckpointEvery: 10_000_000, auditCheckpointIntervalMs: 3_600_000 };

const APPEND_ONLY = ['audit_events', 'audit_nodes', 'audit_checkpoints'] as const;

export function tenantOf(node: WardenNode): string {
  return node.bootstrap.tenant.id;
}

export function testEvent(i: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: 'decision.allow',
    actor: { type: 'agent', id: 'agt_verify', onBehalfOf: 'hum_owner' },
    subject: { type: 'tool', id: 'crm.contacts.read' },
    task: { id: `task_${i}` },
    tool: 'crm.contacts.read',
    effect: 'allow',
    rules: ['support-may-read'],
    payload: { i, note: `event ${i}` },
    at: Date.now(),
    ...overrides,
  };
}

/** Appends `count` events to the tenant's log in one transaction; returns the log size after. */
export async function appendEvents(node: WardenNode, tenantId: string, count: number): Promise<number> {
  const records = await writeTransaction(node.storage, (trx) =>
    node.audit.append(
      trx,
      tenantId,
      Array.from({ length: count }, (_, i) => testEvent(i)),
    ),
  );
  return (records.at(-1)?.seq ?? -1) + 1;
}

/** Appends events, signing a checkpoint after each batch; returns the checkpoint sizes. */
export async function growLog(
  node: WardenNode,
  tenantId: string,
  batches: readonly number[],
): Promise<number[]> {
  const sizes: number[] = [];
  for (const count of batches) {
    sizes.push(await appendEvents(node, tenantId, count));
    await node.auditTrail.checkpointer.run();
  }
  return sizes;
}

export async function logSize(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('audit_log_state')
    .select('size')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row?.size ?? 0;
}

export function verifyOptions(
  node: WardenNode,
  extra: Partial<DatabaseVerifyOptions> = {},
): DatabaseVerifyOptions {
  return { verifierKey: node.auditTrail.signingKey.verifierKey, logName: node.config.auditLogName, ...extra };
}

/** Lines as an export source (read as often as the verifier asks). */
export function linesSource(lines: readonly string[]): ExportLines {
  return async function* () {
    yield* lines;
  };
}

/**
 * A JSONL export of events [begin, end), written from the tables by the format's rules: header with
 * the prefix's compact range, the events, every checkpoint in (begin, c] where c is the first
 * checkpoint at or after end, and the suffix from end to c.
 */
export async function exportOf(
  node: WardenNode,
  tenantId: string,
  begin: number,
  end: number,
): Promise<string[]> {
  const { db } = node.storage;
  const read = subtreeReader(db, tenantId);
  const base64 = async (refs: ReturnType<typeof rangeDecomposition>) =>
    refs.length === 0 ? [] : (await read(refs)).map((h) => Buffer.from(h).toString('base64'));
  const checkpoints = await db
    .selectFrom('audit_checkpoints')
    .select(['size', 'note'])
    .where('tenant_id', '=', tenantId)
    .orderBy('size')
    .execute();
  const covering = checkpoints.find((c) => c.size >= end)?.size;
  if (covering === undefined) throw new Error(`no checkpoint covers ${end}: sign one first`);
  const header = {
    kind: 'warden.audit.export',
    version: 1,
    tenant: tenantId,
    origin: node.auditTrail.origin(tenantId),
    verifierKey: node.auditTrail.signingKey.verifierKey,
    exportedAt: new Date().toISOString(),
    from: null,
    to: null,
    begin,
    end,
    prefix: await base64(rangeDecomposition(0, begin)),
  };
  const events = await db
    .selectFrom('audit_events')
    .select('body')
    .where('tenant_id', '=', tenantId)
    .where('seq', '>=', begin)
    .where('seq', '<', end)
    .orderBy('seq')
    .execute();
  return [
    JSON.stringify(header),
    ...events.map((e) => JSON.stringify({ kind: 'event', event: JSON.parse(e.body), payload: null })),
    ...checkpoints
      .filter((c) => c.size > begin && c.size <= covering)
      .map((c) => JSON.stringify({ kind: 'checkpoint', size: c.size, note: c.note })),
    JSON.stringify({
      kind: 'suffix',
      size: covering,
      hashes: await base64(rangeDecomposition(end, covering)),
    }),
  ];
}

/** What an attacker with database access does first: remove the append-only guards. */
export async function dropAuditGuards(storage: Storage): Promise<void> {
  for (const table of APPEND_ONLY) {
    const statements =
      storage.dialect === 'postgres'
        ? [`DROP TRIGGER ${table}_no_change ON ${table}`, `DROP TRIGGER ${table}_no_truncate ON ${table}`]
        : [
            `DROP TRIGGER ${table}_no_update`,
            `DROP TRIGGER ${table}_no_delete`,
            `DROP TRIGGER ${table}_no_replace`,
          ];
    for (const statement of statements) await sql.raw(statement).execute(storage.db);
  }
}

/** An attacker's clean-up: the state row made to match whatever the events now are. */
export async function rebuildLogState(db: Kysely<Database>, tenantId: string): Promise<number> {
  const rows = await db
    .selectFrom('audit_events')
    .select('leaf_hash')
    .where('tenant_id', '=', tenantId)
    .orderBy('seq')
    .execute();
  const range = CompactRange.empty();
  for (const row of rows) range.appendLeaf(Buffer.from(row.leaf_hash, 'base64'));
  await db
    .updateTable('audit_log_state')
    .set({
      size: range.size,
      compact_range: JSON.stringify(range.hashes.map((h) => h.toString('base64'))),
      root: range.root().toString('base64'),
    })
    .where('tenant_id', '=', tenantId)
    .execute();
  return range.size;
}
