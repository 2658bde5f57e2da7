import { compiledQuery } from '../storage/compiled-query.js';
import type { Dialect, Trx } from '../storage/database.js';
import { CompactRange, EMPTY_ROOT } from './merkle/index.js';

/**
 * The tenant's log state row: its size and compact range, which is all an append needs. Reading it
 * with a row lock (PostgreSQL) serialises appends per tenant across nodes, which is what makes the
 * sequence gap-free; on SQLite the write transaction already holds the database's write lock.
 */
export async function lockLogState(
  trx: Trx,
  dialect: Dialect,
  tenantId: string,
  now: number,
): Promise<CompactRange> {
  let row = await selectState(trx, dialect, tenantId);
  if (!row) {
    await trx
      .insertInto('audit_log_state')
      .values({
        tenant_id: tenantId,
        size: 0,
        compact_range: '[]',
        root: EMPTY_ROOT.toString('base64'),
        updated_at: now,
      })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    row = await selectState(trx, dialect, tenantId);
    if (!row) throw new Error(`audit log state for ${tenantId} could not be created`);
  }
  const hashes = (JSON.parse(row.compact_range) as string[]).map((h) => Buffer.from(h, 'base64'));
  return CompactRange.from(row.size, hashes);
}

export async function saveLogState(
  trx: Trx,
  dialect: Dialect,
  tenantId: string,
  range: CompactRange,
  now: number,
): Promise<void> {
  await updateState(trx, dialect, {
    tenantId,
    size: range.size,
    compactRange: JSON.stringify(range.hashes.map((h) => h.toString('base64'))),
    root: range.root().toString('base64'),
    now,
  });
}

// Every audit append runs both: compiled once (see compiledQuery).
const lockState = compiledQuery((db, param, dialect) => {
  const query = db
    .selectFrom('audit_log_state')
    .select(['size', 'compact_range'])
    .where('tenant_id', '=', param('tenantId'));
  return dialect === 'postgres' ? query.forUpdate() : query;
});

const updateState = compiledQuery((db, param) =>
  db
    .updateTable('audit_log_state')
    .set({
      size: param('size'),
      compact_range: param('compactRange'),
      root: param('root'),
      updated_at: param('now'),
    })
    .where('tenant_id', '=', param('tenantId')),
);

async function selectState(trx: Trx, dialect: Dialect, tenantId: string) {
  const [row] = (await lockState(trx, dialect, { tenantId })).rows;
  return row;
}
