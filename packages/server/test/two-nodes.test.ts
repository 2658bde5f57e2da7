import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFromDatabase } from '../src/audit/verify/index.js';
import { loadConfig } from '../src/config/config.js';
import { openStorage } from '../src/storage/database.js';
import { call, createAgentOn, type NodeProcess, startProcess, stopProcess } from './helpers/node-process.js';
import { createTestDatabase, EXAMPLE_POLICIES, type TestDatabaseHandle } from './helpers/test-node.js';

/** Polls until `check` holds; returns how long it took in ms, or fails after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (await check()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not within ${limitMs} ms`);
}

describe('two server processes on one PostgreSQL database', () => {
  let database: TestDatabaseHandle;
  let policyDir: string;
  let keyDir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    policyDir = mkdtempSync(join(tmpdir(), 'warden-policies-'));
    cpSync(EXAMPLE_POLICIES, policyDir, { recursive: true });
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    a = await startProcess({ databaseUrl: database.url, policyDir, keyDir });
    b = await startProcess({ databaseUrl: database.url, policyDir, keyDir });
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(policyDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await database.drop();
  });

  const newAgent = (name: string) => createAgentOn(a.url, admin, name);

  const decideOn = (node: NodeProcess, key: string) =>
    call(node.url, key, 'POST', '/v1/decide', { tool: 'kb.articles.search', args: { query: 'x' } });

  it('enforces a suspend made on node A on node B within 1 s', async () => {
    const agent = await newAgent('suspend-me');
    // B has the agent cached (its cache TTL is a minute): only the signal can change its mind.
    expect((await decideOn(b, agent.key)).body.effect).toBe('allow');
    expect((await decideOn(b, agent.key)).body.effect).toBe('allow');
    const suspended = await call(a.url, admin, 'POST', `/v1/agents/${agent.id}/suspend`, {
      reason: 'incident 42',
    });
    expect(suspended.status).toBe(200);
    const took = await within(
      1000,
      async () => (await decideOn(b, agent.key)).body.code === 'agent_suspended',
    );
    expect(took).toBeLessThan(1000);
  });

  it('refuses a key revoked on node A on node B within 1 s', async () => {
    const agent = await newAgent('revoke-me');
    expect((await decideOn(b, agent.key)).status).toBe(200);
    const revoked = await call(a.url, admin, 'DELETE', `/v1/agents/${agent.id}/keys/${agent.keyId}`);
    expect(revoked.status).toBe(200);
    await within(1000, async () => (await decideOn(b, agent.key)).status === 401);
  });

  it('converges both nodes on a policy version reloaded on node A', async () => {
    const before = (await call(b.url, admin, 'GET', '/v1/policies')).body.version;
    expect((await call(a.url, admin, 'GET', '/v1/policies')).body.version).toBe(before);
    const file = join(policyDir, 'support-assistant.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Reading the knowledge base', 'Reading the KB'));
    const reloaded = await call(a.url, admin, 'POST', '/v1/policies/reload');
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toMatchObject({ changed: true, previousVersion: before });
    await within(
      1000,
      async () => (await call(b.url, admin, 'GET', '/v1/policies')).body.version === reloaded.body.version,
    );
  });

  it('appends decisions from both nodes at once into one gapless log that verifies', async () => {
    const agents = await Promise.all([newAgent('append-a'), newAgent('append-b')]);
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => decideOn(i % 2 === 0 ? a : b, agents[i % 2]?.key ?? '')),
    );
    expect(answers.filter((r) => r.status !== 200)).toEqual([]);
    const storage = openStorage(loadConfig({ overrides: { databaseUrl: database.url, dataDir: keyDir } }));
    try {
      const events = await storage.db
        .selectFrom('audit_events')
        .select(['seq', 'subject_id'])
        .orderBy('seq')
        .execute();
      expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i));
      const logged = new Set(events.map((e) => e.subject_id));
      for (const answer of answers) expect(logged.has(answer.body.decisionId ?? '')).toBe(true);
      // Both nodes sign every second; wait for a checkpoint covering everything.
      await within(5000, async () => {
        const latest = await storage.db
          .selectFrom('audit_checkpoints')
          .select((eb) => eb.fn.max('size').as('size'))
          .executeTakeFirst();
        return Number(latest?.size ?? 0) >= events.length;
      });
      const report = await verifyFromDatabase(storage, 'default', {
        full: true,
        verifierKey: readFileSync(join(keyDir, 'audit-signing.key.pub'), 'utf8').trim(),
        logName: 'warden',
        anchorDir: join(keyDir, 'anchor'),
      });
      expect(report.failures).toEqual([]);
      expect(report).toMatchObject({ verdict: 'verified', size: events.length });
    } finally {
      await storage.close();
    }
  });
});
