import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { type NodeProcess, startProcess, stopProcess } from '../helpers/node-process.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { createTestDatabase, startTestNode, type TestDatabaseHandle } from '../helpers/test-node.js';
import { act, putCriteria, smallCriteria, writeTrustPolicyDir } from './trust-fixtures.js';

const AGENTS = 12;

/**
 * Two `warden up` processes on one PostgreSQL database, both running the trust sweep every 20 ms.
 * Twelve agents become due at the same instant (their last evaluation is cleared in one statement
 * while both nodes sweep): each is promoted exactly once.
 */
describe('the trust sweep across two server processes (postgres)', () => {
  let database: TestDatabaseHandle;
  let policyDir: string;
  let keyDir: string;
  let storage: Storage;
  let a: NodeProcess;
  let b: NodeProcess;
  const agentIds: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    policyDir = await writeTrustPolicyDir();
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    const keys = {
      auditSigningKeyFile: join(keyDir, 'audit-signing.key'),
      auditKeyEncryptionKeyFile: join(keyDir, 'audit-kek.key'),
      auditAnchorDir: join(keyDir, 'anchor'),
    };
    // The record is made on a node of the same deployment, before the two sweeping nodes start.
    const seeder = await startTestNode('postgres', { shared: database, policyDir, settings: keys });
    await putCriteria(seeder.node, seeder.adminToken, {
      ...smallCriteria(),
      promoteTo: {
        monitored: { ...smallCriteria().promoteTo.monitored, minDaysInTier: 0 },
        trusted: smallCriteria().promoteTo.trusted,
      },
    });
    const now = Date.now();
    for (let i = 0; i < AGENTS; i++) {
      const { agent, key } = await seedAgent(seeder.node, { name: `raced-${i}`, tier: 'sandbox' });
      await act(seeder.node, key, 5);
      agentIds.push(agent.id);
      // Evaluated today already: neither sweeping node touches it until the test clears this.
      await seeder.node.storage.db
        .insertInto('agent_trust')
        .values({
          tenant_id: agent.tenantId,
          agent_id: agent.id,
          tier_since: agent.createdAt,
          checked_at: now,
        })
        .execute();
    }
    await seeder.close();
    const env = { WARDEN_TRUST_SWEEP_INTERVAL_MS: '20' };
    [a, b] = await Promise.all([
      startProcess({ databaseUrl: database.url, policyDir, keyDir, env }),
      startProcess({ databaseUrl: database.url, policyDir, keyDir, env }),
    ]);
    storage = openStorage(
      loadConfig({ overrides: { databaseUrl: database.url, dataDir: database.dataDir } }),
    );
  }, 120_000);

  afterAll(async () => {
    await storage?.close();
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(policyDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await database?.drop();
  });

  const tiers = async () =>
    (await storage.db.selectFrom('agents').select('tier').where('id', 'in', agentIds).execute()).map(
      (r) => r.tier,
    );

  it('promotes each agent that becomes due exactly once though both nodes sweep', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(new Set(await tiers())).toEqual(new Set(['sandbox']));

    await storage.db
      .updateTable('agent_trust')
      .set({ checked_at: null })
      .where('agent_id', 'in', agentIds)
      .execute();
    await expect.poll(tiers, { timeout: 15_000, interval: 50 }).toEqual(agentIds.map(() => 'monitored'));
    // Let both nodes run many more passes: nothing more happens today.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const promotions = await storage.db
      .selectFrom('audit_events')
      .select(['agent_id'])
      .where('type', '=', 'agent.trust_promote')
      .execute();
    expect(promotions.map((p) => p.agent_id).sort()).toEqual([...agentIds].sort());
    expect(new Set(await tiers())).toEqual(new Set(['monitored']));
    expect(a.output()).not.toMatch(/trust evaluation failed/);
    expect(b.output()).not.toMatch(/trust evaluation failed/);
  });
});
