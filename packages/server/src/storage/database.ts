import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { type Config, isPostgres } from '../config/config.js';
import type { Database } from './schema.js';
import { WalSync } from './wal-sync.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The PostgreSQL connection settings, for the LISTEN connection of cross-node signals. */
  readonly postgresUrl?: string;
  /**
   * SQLite on a file with synchronous=FULL: flushes the WAL for commits made by
   * `deferredSyncTransaction`, off the event loop.
   */
  readonly walSync?: WalSync;
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
  const walSync = config.sqliteSynchronous === 'full' && file !== ':memory:' ? new WalSync(file) : undefined;
  return {
    db,
    dialect: 'sqlite',
    ...(walSync ? { walSync } : {}),
    async close() {
      await walSync?.close();
      await db.destroy();
    },
  };
}

const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely prepares every query anew, and preparing costs more than running the decide path's small
 * statements. Prepared statements are reusable (Kysely runs one query at a time on the connection),
 * so they are kept by SQL text. The hot path's texts are few (`insertChunks` bounds the multi-row
 * inserts), so the cache holds them all; rarer texts (an `in` list of some length) push out the
 * least recently used one rather than emptying the cache, each statement holding native memory.
 */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (statement) {
        // A Map iterates in insertion order: moving a hit to the end leaves the least recent first.
        statements.delete(text);
      } else {
        statement = database.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          const oldest = statements.keys().next();
          if (!oldest.done) statements.delete(oldest.value);
        }
      }
      statements.set(text, statement);
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
  return sqliteTransaction(storage, work, false);
}

export interface DeferredCommit<T> {
  readonly result: T;
  /** Settles once the commit is on disk (rejects if flushing it failed). */
  readonly durable: Promise<void>;
}

/**
 * A write transaction whose commit is visible when this resolves but may still be on its way to the
 * disk: callers answer only once `durable` settles. On SQLite with synchronous=FULL the commit skips
 * the in-COMMIT flush and `durable` is an fdatasync of the WAL off the event loop; everywhere else
 * the commit is as durable as the database makes it and `durable` has settled already.
 */
export async function deferredSyncTransaction<T>(
  storage: Storage,
  work: (trx: Trx) => Promise<T>,
): Promise<DeferredCommit<T>> {
  const { walSync } = storage;
  if (storage.dialect === 'postgres' || !walSync) {
    return { result: await writeTransaction(storage, work), durable: Promise.resolve() };
  }
  const result = await sqliteTransaction(storage, work, true);
  return { result, durable: walSync.sync() };
}

/** Transaction control, compiled once: every group commit runs these. */
const SQLITE = {
  skipFlush: CompiledQuery.raw('pragma synchronous = NORMAL'),
  flush: CompiledQuery.raw('pragma synchronous = FULL'),
  begin: CompiledQuery.raw('begin immediate'),
  commit: CompiledQuery.raw('commit'),
  rollback: CompiledQuery.raw('rollback'),
};

function sqliteTransaction<T>(
  storage: Storage,
  work: (trx: Trx) => Promise<T>,
  deferSync: boolean,
): Promise<T> {
  return storage.db.connection().execute(async (connection) => {
    // Only this transaction's COMMIT skips the flush: the connection is ours until this returns, and
    // every other write on it keeps synchronous=FULL.
    if (deferSync) await connection.executeQuery(SQLITE.skipFlush);
    try {
      await connection.executeQuery(SQLITE.begin);
      try {
        // A connection-scoped Kysely is not a Transaction by type, but behaves as one here: every
        // statement runs on this connection, between our BEGIN and COMMIT.
        const result = await work(connection as unknown as Trx);
        await connection.executeQuery(SQLITE.commit);
        return result;
      } catch (error) {
        // The work's error is the one to report; a rollback on a connection that broke with it fails
        // too, and the server rolls back a transaction whose connection is gone.
        await connection.executeQuery(SQLITE.rollback).catch(() => {});
        throw error;
      }
    } finally {
      if (deferSync) await connection.executeQuery(SQLITE.flush);
    }
  });
}
