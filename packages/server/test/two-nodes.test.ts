import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, EXAMPLE_POLICIES, type TestDatabaseHandle } from './helpers/test-node.js';

const CLI = join(import.meta.dirname, '../../cli/src/bin.ts');

interface NodeProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
}

/** A real `warden up` process (from the sources) on the shared database. */
async function startProcess(database: TestDatabaseHandle, policyDir: string): Promise<NodeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-node-'));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'up'], {
    env: {
      ...process.env,
      WARDEN_DATABASE_URL: database.url,
      WARDEN_DATA_DIR: dataDir,
      WARDEN_PORT: '0',
      WARDEN_POLICY_DIR: policyDir,
      WARDEN_LOG_LEVEL: 'warn',
      WARDEN_POLICY_SYNC_INTERVAL_MS: '60000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => reject(new Error(`warden up exited with ${code}:\n${output}`)));
  });
  return { url, dataDir, child };
}

async function stopProcess(node: NodeProcess): Promise<void> {
  if (node.child.exitCode === null) {
    const exited = new Promise((resolve) => node.child.once('exit', resolve));
    node.child.kill('SIGTERM');
    await exited;
  }
  rmSync(node.dataDir, { recursive: true, force: true });
}

/** The fields these tests read from the API's answers. */
interface ApiBody {
  readonly effect?: string;
  readonly code?: string;
  readonly version?: string;
  readonly changed?: boolean;
  readonly previousVersion?: string | null;
  readonly secret?: string;
  readonly human?: { readonly id: string };
  readonly agent?: { readonly id: string };
  readonly key?: { readonly id: string };
}

async function call(url: string, token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

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
  let a: NodeProcess;
  let b: NodeProcess;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    policyDir = mkdtempSync(join(tmpdir(), 'warden-policies-'));
    cpSync(EXAMPLE_POLICIES, policyDir, { recursive: true });
    a = await startProcess(database, policyDir);
    b = await startProcess(database, policyDir);
    admin = readFileSync(join(a.dataDir, 'admin-token'), 'utf8').trim();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a && stopProcess(a), b && stopProcess(b)]);
    rmSync(policyDir, { recursive: true, force: true });
    await database.drop();
  });

  async function newAgent(name: string) {
    const me = await call(a.url, admin, 'GET', '/v1/me');
    const created = await call(a.url, admin, 'POST', '/v1/agents', {
      name,
      ownerId: me.body.human?.id,
      purpose: 'two-node test',
      risk: 'internal',
      environments: ['staging'],
      roles: ['support-assistant'],
    });
    expect(created.status).toBe(201);
    return {
      id: created.body.agent?.id ?? '',
      key: created.body.secret ?? '',
      keyId: created.body.key?.id ?? '',
    };
  }

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
}, 90_000);
