import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { allColumns, compiledInsert, compiledQuery } from '../../src/storage/compiled-query.js';
import { openStorage, type Storage, writeTransaction } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import type { AgentUsageTable } from '../../src/storage/schema.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../helpers/test-node.js';

const upsertUsage = compiledInsert<AgentUsageTable, { calls: number }>(
  allColumns<AgentUsageTable>()([
    'tenant_id',
    'agent_id',
    'span',
    'window_start',
    'calls',
    'cost_usd',
    'tokens',
    'records',
  ]),
  (db, rows) =>
    db
      .insertInto('agent_usage')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'agent_id', 'span', 'window_start'])
          .doUpdateSet((eb) => ({ calls: eb('agent_usage.calls', '+', eb.ref('excluded.calls')) })),
      )
      .returning('calls'),
);

// 'minute' is a constant of the statement, not a parameter: it must stay bound as written.
const minuteCalls = compiledQuery((db, param) =>
  db
    .selectFrom('agent_usage')
    .select(['window_start', 'calls'])
    .where('tenant_id', '=', param('tenantId'))
    .where('span', '=', 'minute')
    .where('window_start', '>=', param('from'))
    .orderBy('window_start'),
);

const row = (i: number, span: AgentUsageTable['span'] = 'minute'): AgentUsageTable => ({
  tenant_id: 'ten_1',
  agent_id: 'agt_1',
  span,
  window_start: i,
  calls: i + 1,
  cost_usd: 0,
  tokens: 0,
  records: 0,
});

describe.each(DATABASES)('compiled statements on %s', (kind) => {
  let database: TestDatabaseHandle;
  let storage: Storage;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    storage = openStorage(
      loadConfig({ overrides: { databaseUrl: database.url, dataDir: database.dataDir } }),
    );
    await migrateToLatest(storage);
  });
  afterAll(async () => {
    await storage.close();
    await database.drop();
  });

  it('inserts every row of a batch across its chunks, binds each value to its own row, and returns the rows', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(i));
    const returned = await writeTransaction(storage, (trx) => upsertUsage(trx, storage.dialect, rows));
    expect(returned.map((r) => Number(r.calls)).sort((a, b) => a - b)).toEqual(rows.map((r) => r.calls));
    const stored = await storage.db.selectFrom('agent_usage').select(['window_start', 'calls']).execute();
    expect(stored).toHaveLength(100);
    for (const s of stored) expect(Number(s.calls)).toBe(Number(s.window_start) + 1);
  });

  it('runs the same compiled upsert again with other values (its conflict clause included)', async () => {
    const again = await writeTransaction(storage, (trx) =>
      upsertUsage(trx, storage.dialect, [row(5), row(7)]),
    );
    expect(again.map((r) => Number(r.calls))).toEqual([12, 16]);
  });

  it('binds named parameters and keeps the constants it was written with', async () => {
    await writeTransaction(storage, (trx) => upsertUsage(trx, storage.dialect, [row(1_000, 'day')]));
    const { rows } = await minuteCalls(storage.db, storage.dialect, { tenantId: 'ten_1', from: 97 });
    expect(rows.map((r) => [Number(r.window_start), Number(r.calls)])).toEqual([
      [97, 98],
      [98, 99],
      [99, 100],
    ]);
    const none = await minuteCalls(storage.db, storage.dialect, { tenantId: 'ten_2', from: 0 });
    expect(none.rows).toEqual([]);
  });

  it('refuses to run without a value for one of its parameters', async () => {
    await expect(minuteCalls(storage.db, storage.dialect, { tenantId: 'ten_1' })).rejects.toThrow(
      /no value for parameter from/,
    );
  });
});
