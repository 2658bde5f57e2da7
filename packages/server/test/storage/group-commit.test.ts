import { existsSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { GroupCommit } from '../../src/storage/group-commit.js';
import { WalSync } from '../../src/storage/wal-sync.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../helpers/test-node.js';

/** Group commit as the decide path runs it: on SQLite with synchronous=FULL (the default) and PostgreSQL. */
describe.each(DATABASES)('group commit (%s)', (kind) => {
  let database: TestDatabaseHandle;
  let storage: Storage;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    const config = loadConfig({
      overrides: { databaseUrl: database.url, dataDir: database.dataDir, sqliteSynchronous: 'full' },
    });
    storage = openStorage(config);
    await sql`create table gc_items (id text primary key, n integer not null)`.execute(storage.db);
  });
  afterEach(async () => {
    await storage.close();
    await database.drop();
  });

  const commits = () =>
    new GroupCommit<{ id: string; n: number }, number>(storage, async (trx, items) => {
      for (const item of items) {
        await sql`insert into gc_items (id, n) values (${item.id}, ${item.n})`.execute(trx);
      }
      return items.map((item) => item.n * 2);
    });

  it('answers each item once its transaction is committed, seen by another connection', async () => {
    const group = commits();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => group.submit({ id: `item-${i}`, n: i })),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    if (kind === 'sqlite') {
      // A separate connection reads only what is committed to the database file and its WAL.
      const other = new SQLite(join(database.dataDir, 'warden.db'), { readonly: true });
      expect(other.prepare('select count(*) as n from gc_items').get()).toEqual({ n: 50 });
      other.close();
    } else {
      const rows = await sql<{ n: string }>`select count(*) as n from gc_items`.execute(storage.db);
      expect(Number(rows.rows[0]?.n)).toBe(50);
    }
  });

  it('fails every item of a failed transaction, writes none of them, and keeps later batches working', async () => {
    const group = commits();
    const failing = await Promise.allSettled([
      group.submit({ id: 'dup', n: 1 }),
      group.submit({ id: 'dup', n: 2 }),
      group.submit({ id: 'other', n: 3 }),
    ]);
    expect(failing.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await group.submit({ id: 'after', n: 4 })).toBe(8);
    const rows = await sql<{ id: string }>`select id from gc_items order by id`.execute(storage.db);
    expect(rows.rows.map((r) => r.id)).toEqual(['after']);
  });

  it.runIf(kind === 'sqlite')(
    'leaves every other write on the connection with synchronous=FULL',
    async () => {
      const group = commits();
      const synchronous = async () =>
        (await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db)).rows[0]?.synchronous;
      expect(await synchronous()).toBe(2);
      await Promise.all([group.submit({ id: 'a', n: 1 }), group.submit({ id: 'b', n: 2 })]);
      expect(await synchronous()).toBe(2);
      await Promise.allSettled([group.submit({ id: 'a', n: 1 })]);
      expect(await synchronous()).toBe(2);
    },
  );

  it('idle() waits until everything submitted is answered', async () => {
    const group = commits();
    const answered: number[] = [];
    for (let i = 0; i < 20; i++) void group.submit({ id: `idle-${i}`, n: i }).then((r) => answered.push(r));
    await group.idle();
    // Answers run in the continuation of each settled submit; let them land.
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toHaveLength(20);
  });
});

describe('WAL sync', () => {
  let database: TestDatabaseHandle;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterEach(() => database.drop());

  it('coalesces calls made while a flush runs into one more flush', async () => {
    const file = join(database.dataDir, 'warden.db');
    const db = new SQLite(file);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (x integer)');
    expect(existsSync(`${file}-wal`)).toBe(true);
    const wal = new WalSync(file);
    const first = wal.sync();
    const second = wal.sync();
    const third = wal.sync();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second, third]);
    await wal.close();
    db.close();
  });

  it('rejects when the WAL cannot be flushed, so nothing is answered as durable', async () => {
    const wal = new WalSync(join(database.dataDir, 'missing.db'));
    await expect(wal.sync()).rejects.toThrow(/ENOENT/);
    await wal.close();
  });
});
