import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentOn, type NodeProcess, startProcess, stopProcess } from '../helpers/node-process.js';
import { createTestDatabase, type TestDatabaseHandle } from '../helpers/test-node.js';
import { writeKillPolicy } from './kill-fixtures.js';

interface Body {
  readonly effect?: string;
  readonly code?: string;
  readonly human?: { readonly id: string };
  readonly approvalRequest?: { readonly id: string } | null;
  readonly approval?: { readonly status: string };
  readonly timedOut?: boolean;
  readonly changed?: boolean;
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
 * An agent deciding on node B in a tight loop (B has it cached), a kill issued on node A: from the
 * moment A answers the kill, B must deny within a second, carried by LISTEN/NOTIFY alone (the
 * caches' TTL is a minute). The loop starts before the kill, so B is measured as a caller sees it.
 */
class DecideLoop {
  private stopped = false;
  /** performance.now() of the answer, and its code. */
  readonly answers: { at: number; code: string }[] = [];
  private readonly done: Promise<void>;

  constructor(url: string, key: string) {
    this.done = (async () => {
      while (!this.stopped) {
        const res = await http(url, key, 'POST', '/v1/decide', { tool: 'kb.search', args: { q: 'x' } });
        this.answers.push({ at: performance.now(), code: `${res.body.effect}/${res.body.code}` });
      }
    })();
  }

  /** How long after `since` the first answer with `code` came; fails after `limitMs`. */
  async firstAfter(since: number, code: string, limitMs = 3000): Promise<number> {
    const deadline = performance.now() + limitMs;
    while (performance.now() < deadline) {
      const hit = this.answers.find((a) => a.at >= since && a.code.endsWith(`/${code}`));
      if (hit) return hit.at - since;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`node B did not answer ${code} within ${limitMs} ms`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

describe('the kill switch across nodes: two server processes on one PostgreSQL database', () => {
  let database: TestDatabaseHandle;
  let policyDir: string;
  let keyDir: string;
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    policyDir = await writeKillPolicy();
    keyDir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
    // A minute of cache: only the signal can make B change its mind within a second.
    const env = { WARDEN_CREDENTIAL_CACHE_TTL_MS: '60000' };
    a = await startProcess({ databaseUrl: database.url, policyDir, keyDir, env });
    b = await startProcess({ databaseUrl: database.url, policyDir, keyDir, env });
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
    adminId = (await http(a.url, admin, 'GET', '/v1/me')).body.human?.id ?? '';
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    await rm(policyDir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await database?.drop();
  });

  /**
   * Kills on A with `kill` while every agent decides on B; answers how long after A's answer each
   * agent's first `code` came from B.
   */
  async function measure(keys: readonly string[], kill: () => Promise<{ status: number }>, code: string) {
    const loops = keys.map((key) => new DecideLoop(b.url, key));
    try {
      for (const loop of loops) await loop.firstAfter(0, 'rule');
      const killed = await kill();
      const answeredAt = performance.now();
      expect(killed.status).toBe(200);
      return await Promise.all(loops.map((loop) => loop.firstAfter(answeredAt, code)));
    } finally {
      await Promise.all(loops.map((loop) => loop.stop()));
    }
  }

  it('denies on node B within 1 s of killing one agent on node A', async () => {
    const agent = await createAgentOn(a.url, admin, 'kill-one');
    const [took] = await measure(
      [agent.key],
      () => http(a.url, admin, 'POST', `/v1/kill/agents/${agent.id}`, { reason: 'x' }),
      'agent_suspended',
    );
    expect(took).toBeLessThan(1000);
  });

  it('denies on node B within 1 s of killing every agent of an owner on node A', async () => {
    const one = await createAgentOn(a.url, admin, 'owner-kill-one');
    const two = await createAgentOn(a.url, admin, 'owner-kill-two');
    const took = await measure(
      [one.key, two.key],
      () => http(a.url, admin, 'POST', `/v1/kill/owners/${adminId}`, { reason: 'owner compromised' }),
      'agent_suspended',
    );
    for (const ms of took) expect(ms).toBeLessThan(1000);
  });

  it('denies on node B within 1 s of freezing the tenant on node A, and allows again after a thaw', async () => {
    const agent = await createAgentOn(a.url, admin, 'freeze-me');
    const [took] = await measure(
      [agent.key],
      () => http(a.url, admin, 'POST', '/v1/kill/tenant', { reason: 'drill' }),
      'tenant_frozen',
    );
    expect(took).toBeLessThan(1000);
    const loop = new DecideLoop(b.url, agent.key);
    try {
      await loop.firstAfter(0, 'tenant_frozen');
      const thawed = await http(a.url, admin, 'DELETE', '/v1/kill/tenant');
      const answeredAt = performance.now();
      expect(thawed.body.changed).toBe(true);
      expect(await loop.firstAfter(answeredAt, 'rule')).toBeLessThan(1000);
    } finally {
      await loop.stop();
    }
  });

  it('releases an agent waiting on node B with `cancelled` when it is killed on node A', async () => {
    const agent = await createAgentOn(a.url, admin, 'kill-waiting');
    const opened = await http(b.url, agent.key, 'POST', '/v1/decide', {
      tool: 'payments.refund',
      args: { amount: 900 },
    });
    const id = opened.body.approvalRequest?.id ?? '';
    expect(id).toMatch(/^apr_/);
    let releasedAt = 0;
    const waiting = http(b.url, agent.key, 'GET', `/v1/approvals/${id}/wait?timeoutSeconds=20`).then(
      (res) => {
        releasedAt = performance.now();
        return res;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killed = await http(a.url, admin, 'POST', `/v1/kill/agents/${agent.id}`, { reason: 'stop now' });
    const answeredAt = performance.now();
    expect(killed.status).toBe(200);
    const waited = await waiting;
    expect(waited.body).toMatchObject({ approval: { status: 'cancelled' }, timedOut: false });
    expect(releasedAt - answeredAt).toBeLessThan(1000);
  });
});
