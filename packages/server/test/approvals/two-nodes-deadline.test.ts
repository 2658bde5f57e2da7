import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openStorage } from '../../src/storage/database.js';
import { createAgentOn, type NodeProcess, startProcess, stopProcess } from '../helpers/node-process.js';
import { createTestDatabase, type TestDatabaseHandle } from '../helpers/test-node.js';
import { approvalsPolicy, count, sleep, until, writePolicyDir } from './approvals-fixtures.js';

/** The fields these tests read from the API's answers. */
interface Body {
  readonly human?: { readonly id: string };
  readonly secret?: string;
  readonly status?: string;
  readonly effect?: string;
  readonly code?: string;
  readonly approvalRequest?: { readonly id: string; readonly status: string };
  readonly approval?: { readonly id: string; readonly status: string };
  readonly timedOut?: boolean;
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
 * Two `warden up` processes on one PostgreSQL database, both sweeping for deadlines every 20 ms:
 * every passed deadline is applied by exactly one of them, and a decision on one node releases an
 * agent waiting on the other at once (LISTEN/NOTIFY).
 */
describe('approval deadlines and waits across two server processes (postgres)', () => {
  let database: TestDatabaseHandle;
  let policyDir: string;
  let keyDir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;
  let reviewer: string;
  let agent: { id: string; key: string };

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    policyDir = await writePolicyDir(approvalsPolicy({ restartTimeout: '2s' }));
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    const env = { WARDEN_APPROVAL_SWEEP_INTERVAL_MS: '20' };
    a = await startProcess({ databaseUrl: database.url, policyDir, keyDir, env });
    b = await startProcess({ databaseUrl: database.url, policyDir, keyDir, env });
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
    const human = await http(a.url, admin, 'POST', '/v1/humans', {
      email: 'ops-reviewer@example.test',
      name: 'Ops Reviewer',
      roles: ['approver'],
    });
    expect(human.status).toBe(201);
    const humanId = human.body.human?.id ?? '';
    const token = await http(a.url, admin, 'POST', `/v1/humans/${humanId}/tokens`, { name: 't' });
    reviewer = token.body.secret ?? '';
    for (const name of ['ops', 'support-leads']) {
      const group = await http(a.url, admin, 'POST', '/v1/groups', { name, members: [humanId] });
      expect(group.status).toBe(201);
    }
    agent = await createAgentOn(a.url, admin, 'deadline-agent');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(policyDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await database?.drop();
  });

  it('applies each passed deadline exactly once though both nodes sweep', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const node = i % 2 === 0 ? a : b;
      const answer = await http(node.url, agent.key, 'POST', '/v1/decide', {
        tool: 'ops.restart',
        args: { service: `svc-${i}` },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.approvalRequest?.status).toBe('pending');
      ids.push(answer.body.approvalRequest?.id ?? '');
    }
    await until(async () => {
      const shown = await Promise.all(ids.map((id) => http(a.url, admin, 'GET', `/v1/approvals/${id}`)));
      return shown.every((s) => s.body.status === 'expired');
    }, 8_000);
    // Both nodes keep sweeping; nothing fires twice.
    await sleep(300);

    const storage = openStorage(loadConfig({ overrides: { databaseUrl: database.url, dataDir: keyDir } }));
    try {
      const events = await storage.db
        .selectFrom('audit_events')
        .select(['subject_id', 'type'])
        .where('subject_id', 'in', ids)
        .execute();
      for (const id of ids) {
        const types = events.filter((e) => e.subject_id === id).map((e) => e.type);
        expect(count(types, 'approval.expire'), id).toBe(1);
        expect(count(types, 'approval.timeout'), id).toBe(1);
        expect(count(types, 'approval.request'), id).toBe(1);
      }
    } finally {
      await storage.close();
    }
  }, 20_000);

  it('releases an agent waiting on node B when a human approves on node A, well within a second', async () => {
    const opened = await http(b.url, agent.key, 'POST', '/v1/decide', {
      tool: 'payments.refund',
      args: { amount: 750, order: 'o-cross-node' },
    });
    const id = opened.body.approvalRequest?.id ?? '';
    let releasedAt = 0;
    const waiting = http(b.url, agent.key, 'GET', `/v1/approvals/${id}/wait?timeoutSeconds=20`).then(
      (res) => {
        releasedAt = performance.now();
        return res;
      },
    );
    await sleep(300);
    const approvedAt = performance.now();
    const approved = await http(a.url, reviewer, 'POST', `/v1/approvals/${id}/approve`, { comment: 'go' });
    expect(approved.status).toBe(200);
    const waited = await waiting;
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ approval: { id, status: 'approved' }, timedOut: false });
    expect(releasedAt - approvedAt).toBeLessThan(500);

    const used = await http(b.url, agent.key, 'POST', '/v1/decide', {
      tool: 'payments.refund',
      args: { amount: 750, order: 'o-cross-node' },
      approvalId: id,
    });
    expect(used.body).toMatchObject({ effect: 'allow', code: 'approved' });
  });
});
