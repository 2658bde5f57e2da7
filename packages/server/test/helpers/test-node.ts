import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { createNode, type NodeOptions, type WardenNode } from '../../src/main.js';

export const DATABASES = ['sqlite', 'postgres'] as const;
export type TestDatabase = (typeof DATABASES)[number];

export const POSTGRES_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const EXAMPLE_POLICIES = join(import.meta.dirname, '../../../../examples/policies');

/** A database of its own for one test: a temporary SQLite file, or a fresh PostgreSQL schema. */
export interface TestDatabaseHandle {
  readonly kind: TestDatabase;
  readonly url: string;
  readonly dataDir: string;
  readonly namespace: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: TestDatabase): Promise<TestDatabaseHandle> {
  const dataDir = await mkdtemp(join(tmpdir(), 'warden-test-'));
  if (kind === 'sqlite') {
    return {
      kind,
      url: `sqlite:${join(dataDir, 'warden.db')}`,
      dataDir,
      namespace: dataDir,
      drop: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${Math.random().toString(36).slice(2, 12)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    kind,
    url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    dataDir,
    namespace: schema,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestNode {
  readonly node: WardenNode;
  readonly database: TestDatabaseHandle;
  /** The bootstrap admin's token for the default tenant. */
  readonly adminToken: string;
  close(): Promise<void>;
}

export interface TestNodeOptions extends NodeOptions {
  readonly policyDir?: string | null;
  readonly settings?: Record<string, unknown>;
  /** Reuse a database (a second node on the same PostgreSQL schema); it is not dropped on close. */
  readonly shared?: TestDatabaseHandle;
}

/** A real node on a real database, with the example policies loaded, not listening (use inject). */
export async function startTestNode(kind: TestDatabase, options: TestNodeOptions = {}): Promise<TestNode> {
  const database = options.shared ?? (await createTestDatabase(kind));
  const config = loadConfig({
    overrides: {
      databaseUrl: database.url,
      dataDir: database.dataDir,
      port: 0,
      logLevel: 'silent',
      sqliteSynchronous: 'normal',
      // The fakes and test servers the tests add through the API listen on loopback.
      apiUpstreamNetworks: 'any',
      policyDir: options.policyDir === null ? undefined : (options.policyDir ?? EXAMPLE_POLICIES),
      ...options.settings,
    },
  });
  const node = await createNode(config, { signalNamespace: database.namespace, ...options });
  const adminToken = node.bootstrap.created?.adminToken.secret ?? '';
  return {
    node,
    database,
    adminToken,
    async close() {
      await node.close();
      if (!options.shared) await database.drop();
    },
  };
}
