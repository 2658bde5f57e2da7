import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStorage } from '../../src/storage/database.js';
import { count, sleep, until } from '../approvals/approvals-fixtures.js';
import { createAgentOn, type NodeProcess, startProcess, stopProcess } from '../helpers/node-process.js';
import { createTestDatabase, EXAMPLE_POLICIES, type TestDatabaseHandle } from '../helpers/test-node.js';

/** The fields these tests read from the API's answers. */
interface Body {
  readonly human: { readonly id: string };
  readonly campaign: { readonly id: string; readonly status: string };
  readonly progress: Record<string, number>;
}

async function http(url: string, token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

/**
 * Two `warden up` processes on one PostgreSQL database, both sweeping recertification deadlines
 * every 20 ms: a campaign's deadline escalates it once, and the grace's end suspends each
 * unanswered agent once, whichever node gets there first.
 */
describe('recertification deadlines across two server processes (postgres)', () => {
  let database: TestDatabaseHandle;
  let keyDir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    const env = { WARDEN_RECERT_SWEEP_INTERVAL_MS: '20' };
    a = await startProcess({ databaseUrl: database.url, policyDir: EXAMPLE_POLICIES, keyDir, env });
    b = await startProcess({ databaseUrl: database.url, policyDir: EXAMPLE_POLICIES, keyDir, env });
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(keyDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('escalates at the deadline and suspends unanswered agents after the grace, exactly once', async () => {
    const agents = [];
    for (let i = 0; i < 4; i++) agents.push(await createAgentOn(a.url, admin, `recert-agent-${i}`));
    const ids = agents.map((agent) => agent.id);
    const settings = await http(b.url, admin, 'PUT', '/v1/recert/settings', {
      onNoResponse: 'suspend',
      graceSeconds: 1,
    });
    expect(settings.status).toBe(200);
    const me = await http(a.url, admin, 'GET', '/v1/me');
    const started = await http(a.url, admin, 'POST', '/v1/recert/campaigns', {
      name: 'two nodes',
      deadline: new Date(Date.now() + 1_500).toISOString(),
      scope: { owner: me.body.human.id },
    });
    expect(started.status).toBe(201);
    const campaignId = started.body.campaign.id;
    const answered = await http(
      b.url,
      admin,
      'POST',
      `/v1/recert/campaigns/${campaignId}/agents/${ids[0]}/certify`,
      {
        decision: 'keep',
      },
    );
    expect(answered.status).toBe(200);

    await until(
      async () =>
        (await http(b.url, admin, 'GET', `/v1/recert/campaigns/${campaignId}`)).body.campaign.status ===
        'closed',
      15_000,
    );
    // Both nodes keep sweeping; nothing fires twice.
    await sleep(300);

    const shown = await http(a.url, admin, 'GET', `/v1/recert/campaigns/${campaignId}`);
    expect(shown.body.progress).toMatchObject({ total: 4, kept: 1, suspended: 3 });
    const storage = openStorage(loadConfig({ overrides: { databaseUrl: database.url, dataDir: keyDir } }));
    try {
      const campaignEvents = (
        await storage.db
          .selectFrom('audit_events')
          .select('type')
          .where('subject_id', '=', campaignId)
          .execute()
      ).map((e) => e.type);
      expect(count(campaignEvents, 'recert.escalate')).toBe(1);
      expect(count(campaignEvents, 'recert.close')).toBe(1);
      const agentEvents = await storage.db
        .selectFrom('audit_events')
        .select(['subject_id', 'type'])
        .where('subject_id', 'in', ids)
        .where('type', '=', 'agent.suspend')
        .execute();
      expect(agentEvents.filter((e) => e.subject_id === ids[0])).toHaveLength(0);
      for (const id of ids.slice(1))
        expect(
          agentEvents.filter((e) => e.subject_id === id),
          id,
        ).toHaveLength(1);
      const statuses = await storage.db
        .selectFrom('agents')
        .select(['id', 'status'])
        .where('id', 'in', ids)
        .execute();
      expect(
        statuses
          .filter((s) => s.status === 'suspended')
          .map((s) => s.id)
          .sort(),
      ).toEqual(ids.slice(1).sort());
    } finally {
      await storage.close();
    }
  }, 40_000);
});
