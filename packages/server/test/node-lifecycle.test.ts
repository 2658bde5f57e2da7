import { createHook } from 'node:async_hooks';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createNode } from '../src/main.js';
import {
  createTestDatabase,
  DATABASES,
  EXAMPLE_POLICIES,
  POSTGRES_URL,
  type TestDatabaseHandle,
} from './helpers/test-node.js';
import { REDIS_URL } from './limits/redis-fixtures.js';

/**
 * Timers and sockets created from `start()` on that are still open: what a leaked resource holds
 * (a worker's interval, a PostgreSQL or Redis connection). Unref'd timers count too, though they
 * would not keep the process alive, since each is a job still running against closed storage.
 */
function openHandles() {
  const live = new Map<number, string>();
  let recording = false;
  const hook = createHook({
    init(id, type) {
      if (recording && (type === 'Timeout' || type === 'TCPWRAP')) live.set(id, type);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  return {
    start() {
      recording = true;
      hook.enable();
    },
    /** What is still open once closing sockets had a moment to finish. */
    async open(): Promise<string[]> {
      // The wait's own timers are not the node's.
      recording = false;
      try {
        // Gives closing sockets time; what is still open after it is returned for the test to name.
        await vi.waitFor(() => expect([...live.values()]).toEqual([]), { timeout: 5_000 }).catch(() => {});
        return [...live.values()];
      } finally {
        hook.disable();
      }
    },
  };
}

/** The connections of nodes started with this application name, as PostgreSQL sees them. */
async function connectionsOf(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

function captured(level = 'debug') {
  const lines: { level: number; msg: string; resource?: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe.each(DATABASES)('node start and stop (%s)', (db) => {
  let database: TestDatabaseHandle;
  afterEach(() => database.drop());

  async function configFor(settings: (dataDir: string) => Record<string, unknown>) {
    database = await createTestDatabase(db);
    const applicationName = `warden_${database.namespace.replace(/\W/g, '').slice(-20)}`;
    // Tags this node's PostgreSQL connections, so the test can count them.
    const url = db === 'postgres' ? `${database.url}&application_name=${applicationName}` : database.url;
    const config = loadConfig({
      overrides: {
        databaseUrl: url,
        dataDir: database.dataDir,
        port: 0,
        logLevel: 'silent',
        sqliteSynchronous: 'normal',
        redisUrl: REDIS_URL,
        ...settings(database.dataDir),
      },
    });
    return { config, applicationName };
  }

  /** Starts a node that must fail, and checks it left no timer, socket or connection behind. */
  async function expectFailedStartReleasesEverything(
    settings: (dataDir: string) => Record<string, unknown>,
    prepare: (dataDir: string) => Promise<unknown>,
    message: RegExp,
  ) {
    const { config, applicationName } = await configFor(settings);
    await prepare(database.dataDir);
    const handles = openHandles();
    handles.start();
    await expect(createNode(config, { signalNamespace: database.namespace })).rejects.toThrow(message);
    expect(await handles.open()).toEqual([]);
    if (db === 'postgres') expect(await connectionsOf(applicationName)).toBe(0);
    // The same database and data directory take a node again once the cause is gone.
    await rm(join(database.dataDir, 'admin-token'), { recursive: true, force: true });
    const again = await createNode(
      { ...config, policyDir: EXAMPLE_POLICIES, budgetsFile: undefined },
      { signalNamespace: database.namespace, logger: captured('silent').logger },
    );
    if (db === 'postgres') expect(await connectionsOf(applicationName)).toBeGreaterThan(0);
    await again.close();
    if (db === 'postgres') expect(await connectionsOf(applicationName)).toBe(0);
  }

  it('releases everything when WARDEN_POLICY_DIR does not load', async () => {
    await expectFailedStartReleasesEverything(
      (dataDir) => ({ policyDir: join(dataDir, 'policies') }),
      async (dataDir) => {
        await mkdir(join(dataDir, 'policies'));
        await writeFile(join(dataDir, 'policies', 'broken.yaml'), 'apiVersion: warden/v0\nkind: Nonsense\n');
      },
      /WARDEN_POLICY_DIR .*: the policies do not load \(\d+ issue\(s\)\); first: .*broken.yaml/,
    );
  });

  it('releases everything when the default tenant cannot be bootstrapped', async () => {
    // A directory where the admin token file goes: the tenant is created, writing its token fails.
    await expectFailedStartReleasesEverything(
      () => ({}),
      (dataDir) => mkdir(join(dataDir, 'admin-token'), { recursive: true }),
      /EISDIR|illegal operation on a directory/,
    );
  });

  it('releases everything when WARDEN_BUDGETS_FILE has a mistake', async () => {
    await expectFailedStartReleasesEverything(
      (dataDir) => ({ budgetsFile: join(dataDir, 'budgets.yaml') }),
      (dataDir) => writeFile(join(dataDir, 'budgets.yaml'), 'rateLimits: 3\n'),
      /WARDEN_BUDGETS_FILE/,
    );
  });

  it('closes the app first, then stops every worker newest-first, then the resources', async () => {
    const { config, applicationName } = await configFor(() => ({ policyDir: EXAMPLE_POLICIES }));
    const { logger, lines } = captured();
    const handles = openHandles();
    handles.start();
    const node = await createNode(config, { signalNamespace: database.namespace, logger });
    await node.close();
    expect(await handles.open()).toEqual([]);

    const closed = lines.filter((line) => line.msg === 'closed').map((line) => line.resource);
    expect(closed).toEqual([
      'http server',
      'trust sweep',
      'drift notices',
      'recertification deadlines',
      'console session prune',
      'usage prune',
      'mcp session sweep',
      'shadow divergence flusher',
      'policy schedule',
      'policy sync',
      'approval deadline sweeper',
      'budget reservation sweeper',
      'anomaly monitor',
      'audit retention',
      'last-used flusher',
      'notification delivery',
      'audit checkpointer',
      'llm proxy',
      'mcp gateway',
      'decision recorder',
      'step-up requests',
      'rate limiter',
      'audit trail',
      'signals',
      'telemetry',
      'storage',
    ]);
    if (db === 'postgres') expect(await connectionsOf(applicationName)).toBe(0);
  });
});
