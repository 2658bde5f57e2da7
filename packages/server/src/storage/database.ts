import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { type Config, isPostgres } from '../config/config.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The PostgreSQL connection settings, for the LISTEN connection of cross-node signals. */
  readonly postgresUrl?: string;
  close(): Promise<void>;
}

export type Trx = Transaction<Database>;

// int8 (counts, epoch milliseconds) as numbers: every value we store fits in 2^53.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

/** Opens SQLite in the data directory (or at a `sqlite:` URL) or PostgreSQL at a `postgres://` URL. */
export function openStorage(config: Config): Storage {
  if (isPostgres(config)) {
    const url = config.databaseUrl as string;
    const pool = new pg.Pool({ connectionString: url, max: config.databasePoolSize });
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', postgresUrl: url, close: () => db.destroy() };
  }
  const file = sqliteFile(config);
  if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the decision it records is answered (durable audit).
  database.pragma(`synchronous = ${config.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew, and preparing costs more than running the decide path's small
 * statements. Prepared statements are reusable (Kysely runs one query at a time on the connection),
 * so they are kept by SQL text; multi-row inserts of varying sizes make the cache bounded.
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (!statement) {
        statement = database.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

function sqliteFile(config: Config): string {
  if (config.databaseUrl?.startsWith('sqlite:')) return config.databaseUrl.slice('sqlite:'.length);
  return join(config.dataDir, 'warden.db');
}

/**
 * Runs `work` in a write transaction. On SQLite it starts with BEGIN IMMEDIATE, taking the write
 * lock up front, so two writers never deadlock upgrading read locks.
 */
export async function writeTransaction<T>(storage: Storage, work: (trx: Trx) => Promise<T>): Promise<T> {
  if (storage.dialect === 'postgres') return storage.db.transaction().execute(work);
  return storage.db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      // A connection-scoped Kysely is not a Transaction by type, but behaves as one here: every
      // statement runs on this connection, between our BEGIN and COMMIT.
      const result = await work(connection as unknown as Trx);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      // The work's error is the one to report; a rollback on a connection that broke with it fails
      // too, and the server rolls back a transaction whose connection is gone.
      await sql`rollback`.execute(connection).catch(() => {});
      throw error;
    }
  });
}
