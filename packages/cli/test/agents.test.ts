import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/index.js';

/**
 * A small stand-in for the server's agent API (the contract the CLI is written against), with
 * in-memory agents and keys, and a record of every request. The real routes get their own
 * end-to-end test.
 */
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  rawBody: string;
}
type Json = Record<string, unknown>;
type Reply = { status: number; body?: unknown; raw?: string; location?: string };

const TOKEN = 'wdn_u_testtoken';
const OWNER = `usr_${'1'.repeat(26)}`;
const id = (prefix: string, n: number) => `${prefix}_${String(n).padStart(26, '0')}`;

let server: Server;
let url: string;
let requests: Recorded[];
let agents: Map<string, Json>;
let keys: Map<string, Json[]>;
let counter: number;
/** When set, answers the next requests instead of the fake API. */
let override: ((request: Recorded) => Reply | undefined) | undefined;

function envelope(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message, requestId: `req-${requests.length}` } } };
}

function newAgent(body: Json): Json {
  const agentId = id('agt', ++counter);
  const risky = ['pii', 'financial', 'phi'].includes(String(body.risk));
  const agent = {
    id: agentId,
    name: body.name,
    ownerId: body.ownerId,
    purpose: body.purpose,
    risk: body.risk,
    riskLevel: risky ? 'medium' : 'low',
    environments: body.environments,
    tier: 'sandbox',
    roles: body.roles ?? [],
    labels: body.labels ?? {},
    parentId: null,
    maxChildren: body.maxChildren ?? 0,
    status: risky ? 'pending' : 'active',
    recertifyAt: body.recertifyAt ?? null,
    createdAt: '2026-03-02T10:00:00.000Z',
    updatedAt: '2026-03-02T10:00:00.000Z',
    lastActiveAt: null,
  };
  agents.set(agentId, agent);
  return agent;
}

function newKey(agentId: string, expiresIn?: unknown): { key: Json; secret: string } {
  const key = {
    id: id('key', ++counter),
    hint: `wdn_a_hint${counter}`,
    createdAt: '2026-03-02T10:00:00.000Z',
    expiresAt: typeof expiresIn === 'number' ? '2099-01-01T00:00:00.000Z' : null,
    revokedAt: null,
    lastUsedAt: null,
  };
  keys.set(agentId, [...(keys.get(agentId) ?? []), key]);
  return { key, secret: `wdn_a_secret${counter}` };
}

function api(r: Recorded): Reply {
  if (r.headers.authorization !== `Bearer ${TOKEN}`) return envelope(401, 'unauthenticated', 'invalid token');
  const body = (r.body ?? {}) as Json;
  if (r.method === 'POST' && r.path === '/v1/agents') {
    const agent = newAgent(body);
    const { key, secret } = newKey(String(agent.id));
    return { status: 201, body: { agent, key, secret } };
  }
  if (r.method === 'GET' && r.path === '/v1/agents') {
    const all = [...agents.values()].filter(
      (a) => !r.query.has('status') || a.status === r.query.get('status'),
    );
    const limit = Number(r.query.get('limit') ?? 50);
    const start = Number(r.query.get('cursor') ?? 0);
    const next = start + limit < all.length ? String(start + limit) : null;
    return { status: 200, body: { agents: all.slice(start, start + limit), nextCursor: next } };
  }
  const [, , , agentId, action, keyId] = r.path.split('/');
  const agent = agents.get(agentId ?? '');
  if (!agent) return envelope(404, 'not_found', `agent ${agentId} not found`);
  if (r.method === 'GET' && action === undefined) {
    const children = [...agents.values()].filter((a) => a.parentId === agentId);
    return { status: 200, body: { agent, children } };
  }
  if (r.method === 'PATCH' && action === undefined) {
    const changes: Json = {};
    for (const [field, to] of Object.entries(body)) {
      if (JSON.stringify(agent[field]) !== JSON.stringify(to)) changes[field] = { from: agent[field], to };
      agent[field] = to;
    }
    return { status: 200, body: { agent, changes } };
  }
  const next = { activate: 'active', suspend: 'suspended', resume: 'active', retire: 'retired' }[
    action ?? ''
  ];
  if (r.method === 'POST' && next) {
    agent.status = next;
    return { status: 200, body: { agent } };
  }
  if (action === 'keys' && r.method === 'GET')
    return { status: 200, body: { keys: keys.get(String(agentId)) } };
  if (action === 'keys' && r.method === 'POST')
    return { status: 201, body: newKey(String(agentId), body.expiresInSeconds) };
  const key = keys.get(String(agentId))?.find((k) => k.id === keyId);
  if (action === 'keys' && r.method === 'DELETE' && key) {
    key.revokedAt = '2026-03-02T11:00:00.000Z';
    return { status: 200, body: { key } };
  }
  return envelope(404, 'not_found', `no route ${r.method} ${r.path}`);
}

function reply(response: ServerResponse, { status, body, raw, location }: Reply) {
  const text = raw ?? (body === undefined ? '' : JSON.stringify(body));
  response.writeHead(status, {
    ...(raw === undefined ? { 'content-type': 'application/json' } : {}),
    ...(location === undefined ? {} : { location }),
  });
  response.end(text);
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let rawBody = '';
    request.on('data', (chunk: Buffer) => {
      rawBody += chunk.toString('utf8');
    });
    request.on('end', () => {
      const parsed = new URL(request.url ?? '/', 'http://fake');
      const recorded: Recorded = {
        method: request.method ?? '',
        path: parsed.pathname,
        query: parsed.searchParams,
        headers: request.headers,
        body: rawBody ? JSON.parse(rawBody) : undefined,
        rawBody,
      };
      requests.push(recorded);
      reply(response, override?.(recorded) ?? api(recorded));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let scratch: string;
beforeEach(async () => {
  requests = [];
  agents = new Map();
  keys = new Map();
  counter = 0;
  override = undefined;
  scratch = await mkdtemp(join(tmpdir(), 'warden-agents-'));
  // The developer's own environment must not leak into the tests.
  vi.stubEnv('WARDEN_URL', '');
  vi.stubEnv('WARDEN_TOKEN', '');
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(scratch, { recursive: true, force: true });
});

/** The CLI in-process, connected to the fake server unless the test says otherwise. */
async function raw(argv: string[], cwd = scratch) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), color: false, cwd });
  return { code, out, err };
}
const cli = (...argv: string[]) => raw([...argv, '--url', url, '--token', TOKEN]);

function last(): Recorded {
  const request = requests.at(-1);
  if (!request) throw new Error('no request was made');
  return request;
}

/** The last request: its method, path and JSON body, with the token and a content type only with a body. */
function expectCall(method: string, path: string, body?: unknown) {
  const request = last();
  expect(request.method).toBe(method);
  expect(request.path).toBe(path);
  expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(request.body).toEqual(body);
  expect(request.headers['content-type']).toBe(body === undefined ? undefined : 'application/json');
}

async function seed(risk = 'internal'): Promise<string> {
  const agent = newAgent({ name: 'bot', ownerId: OWNER, purpose: 'p', risk, environments: ['staging'] });
  newKey(String(agent.id));
  return String(agent.id);
}

const createArgs = [
  'agents',
  'create',
  '--name',
  'support-bot',
  '--owner',
  OWNER,
  '--purpose',
  'Answers support tickets',
  '--risk',
  'pii',
  '--env',
  'production',
  '--env',
  'staging',
];

describe('warden agents create', () => {
  it('posts the agent and prints it with the secret, shown once, and how to activate it', async () => {
    const { code, out, err } = await cli(
      ...createArgs,
      '--role',
      'support-assistant',
      '--label',
      'team=support',
      '--label',
      'cost-center=cs=1',
      '--max-children',
      '3',
      '--recertify-at',
      '2026-09-01T00:00:00Z',
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    const request = last();
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/agents');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      name: 'support-bot',
      ownerId: OWNER,
      purpose: 'Answers support tickets',
      risk: 'pii',
      environments: ['production', 'staging'],
      roles: ['support-assistant'],
      labels: { team: 'support', 'cost-center': 'cs=1' },
      maxChildren: 3,
      recertifyAt: '2026-09-01T00:00:00.000Z',
    });
    const agentId = id('agt', 1);
    expect(out).toContain(`created agent ${agentId}\n`);
    expect(out).toContain('risk:         pii (medium risk)\n');
    expect(out).toContain('environments: production, staging\n');
    expect(out).toContain('labels:       team=support, cost-center=cs=1\n');
    expect(out).toContain('secret:     wdn_a_secret2\n');
    expect(out).toContain('This secret is shown once');
    expect(out).toContain(`an admin activates it with "warden agents activate ${agentId}"`);
  });

  it('sends only the required fields, and says nothing about activation for an active agent', async () => {
    const { code, out } = await cli(...createArgs.slice(0, -2).map((a) => (a === 'pii' ? 'internal' : a)));
    expect(code).toBe(0);
    expect(last().body).toEqual({
      name: 'support-bot',
      ownerId: OWNER,
      purpose: 'Answers support tickets',
      risk: 'internal',
      environments: ['production'],
    });
    expect(out).toContain('status:       active\n');
    expect(out).not.toContain('activate');
  });

  it('prints the raw response with --json', async () => {
    const { code, out } = await cli(...createArgs, '--json');
    expect(code).toBe(0);
    const body = JSON.parse(out) as { agent: { id: string }; secret: string; key: { id: string } };
    expect(body.agent.id).toBe(id('agt', 1));
    expect(body.secret).toBe('wdn_a_secret2');
  });

  it.each([
    [['--name'], '--name is required'],
    [['--env', '--env'], '--env is required'],
    [['--risk'], '--risk is required'],
  ])('is a usage error without %s', async (drop, message) => {
    const argv = createArgs.filter(
      (_, i) => !drop.includes(createArgs[i] ?? '') && !drop.includes(createArgs[i - 1] ?? ''),
    );
    const { code, err } = await cli(...argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(requests).toEqual([]);
  });

  it.each([
    ['--owner', 'maria', '--owner: expected usr_ followed by 26 characters, got "maria"'],
    ['--risk', 'secret', '--risk: expected one of public, internal, pii, financial, phi, got "secret"'],
    ['--env', 'prod', '--env: expected one of sandbox, staging, production, got "prod"'],
    ['--label', 'team', '--label: expected key=value, got "team"'],
    ['--label', '=x', '--label: expected key=value, got "=x"'],
    ['--max-children', '1.5', '--max-children: expected a non-negative integer, got "1.5"'],
    ['--recertify-at', 'next year', '--recertify-at: expected an ISO 8601 time'],
    ['--name', ' ', '--name: must not be empty'],
  ])('rejects %s %j locally with exit 2', async (flag, value, message) => {
    const { code, err } = await cli(...createArgs, flag, value);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(requests).toEqual([]);
  });

  it('rejects a negative number', async () => {
    const { code, err } = await cli(...createArgs, '--max-children=-1');
    expect(code).toBe(2);
    expect(err).toContain('--max-children: expected a non-negative integer, got "-1"');
  });

  it('rejects a label given twice', async () => {
    const { code, err } = await cli(...createArgs, '--label', 'a=1', '--label', 'a=2');
    expect(code).toBe(2);
    expect(err).toContain('--label: "a" is given twice');
  });
});

describe('warden agents list', () => {
  it('maps every filter to the query and prints a table', async () => {
    await seed();
    const { code, out } = await cli(
      'agents',
      'list',
      '--owner',
      OWNER,
      '--status',
      'active',
      '--tier',
      'sandbox',
      '--risk',
      'internal',
      '--env',
      'staging',
      '--role',
      'r1',
      '--active-since',
      '2026-01-01',
      '--inactive-since',
      '2026-02-01T00:00:00+01:00',
      '--limit',
      '10',
    );
    expect(code).toBe(0);
    const request = last();
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/v1/agents');
    expect(request.rawBody).toBe('');
    expect(request.headers['content-type']).toBeUndefined();
    expect(Object.fromEntries(request.query)).toEqual({
      owner: OWNER,
      status: 'active',
      tier: 'sandbox',
      risk: 'internal',
      environment: 'staging',
      role: 'r1',
      activeSince: '2026-01-01T00:00:00.000Z',
      inactiveSince: '2026-01-31T23:00:00.000Z',
      limit: '10',
    });
    expect(out.split('\n')[0]).toMatch(/^ID +NAME +STATUS +TIER +RISK +ENVIRONMENTS +OWNER +LAST ACTIVE$/);
    expect(out).toMatch(
      new RegExp(`^${id('agt', 1)} +bot +active +sandbox +internal +staging +${OWNER} +never$`, 'm'),
    );
  });

  it('prints one page and says how to get more; --all follows nextCursor', async () => {
    for (let i = 0; i < 5; i++) await seed();
    const page = await cli('agents', 'list', '--limit', '2');
    expect(page.code).toBe(0);
    expect(page.out.trim().split('\n')).toHaveLength(3);
    expect(page.err).toContain('more agents: run again with --all, or with --cursor 2');

    requests = [];
    const all = await cli('agents', 'list', '--limit', '2', '--all');
    expect(all.code).toBe(0);
    expect(all.err).toBe('');
    expect(all.out.trim().split('\n')).toHaveLength(6);
    expect(requests.map((r) => r.query.get('cursor'))).toEqual([null, '2', '4']);

    const json = await cli('agents', 'list', '--limit', '2', '--all', '--json');
    const body = JSON.parse(json.out) as { agents: unknown[]; nextCursor: unknown };
    expect(body.agents).toHaveLength(5);
    expect(body.nextCursor).toBeNull();

    const next = await cli('agents', 'list', '--limit', '2', '--cursor', '2', '--json');
    expect(JSON.parse(next.out)).toEqual({ agents: [...agents.values()].slice(2, 4), nextCursor: '4' });
  });

  it('says so when nothing matches', async () => {
    const { code, out } = await cli('agents', 'list');
    expect(code).toBe(0);
    expect(out).toBe('no agents match\n');
    expect(last().query.toString()).toBe('');
  });

  it('stops when the server repeats a cursor', async () => {
    override = () => ({ status: 200, body: { agents: [], nextCursor: 'same' } });
    const { code, err } = await cli('agents', 'list', '--all');
    expect(code).toBe(1);
    expect(err).toContain('repeated the page cursor "same"');
  });

  it.each([
    ['--status', 'paused', '--status: expected one of pending, active, suspended, retired'],
    ['--tier', 'gold', '--tier: expected one of sandbox, monitored, trusted'],
    ['--limit', '0', '--limit: expected a positive integer, got "0"'],
    ['--limit', 'ten', '--limit: expected a positive integer, got "ten"'],
    ['--active-since', '03/02/2026', '--active-since: expected an ISO 8601 time'],
  ])('rejects %s %s with exit 2', async (flag, value, message) => {
    const { code, err } = await cli('agents', 'list', flag, value);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(requests).toEqual([]);
  });
});

describe('warden agents show', () => {
  it('gets the agent and prints key: value lines with its children', async () => {
    const parent = await seed('pii');
    const child = await seed();
    const childAgent = agents.get(child);
    if (childAgent) childAgent.parentId = parent;
    const { code, out } = await cli('agents', 'show', parent);
    expect(code).toBe(0);
    expectCall('GET', `/v1/agents/${parent}`);
    expect(out).toContain(`id:           ${parent}\n`);
    expect(out).toContain('status:       pending\n');
    expect(out).toContain('roles:        none\n');
    expect(out).toContain('last active:  never\n');
    expect(out).toContain('children:     1\n');
    expect(out).toMatch(new RegExp(`^${child} +bot +active$`, 'm'));
  });

  it('prints the raw response with --json', async () => {
    const agentId = await seed();
    const { out } = await cli('agents', 'show', agentId, '--json');
    expect(JSON.parse(out)).toEqual({ agent: agents.get(agentId), children: [] });
  });

  it('checks the id locally', async () => {
    for (const bad of ['agt_123', 'usr_00000000000000000000000001', `agt_${'U'.repeat(26)}`]) {
      const { code, err } = await cli('agents', 'show', bad);
      expect(code).toBe(2);
      expect(err).toContain(`agent id: expected agt_ followed by 26 characters, got "${bad}"`);
    }
    expect((await cli('agents', 'show')).err).toContain('agents show: missing the agent id');
    expect((await cli('agents', 'show', id('agt', 1), 'extra')).err).toContain('unexpected argument "extra"');
    expect(requests).toEqual([]);
  });
});

describe('warden agents update', () => {
  it('patches only the given fields and prints the changes', async () => {
    const agentId = await seed();
    const newOwner = `usr_${'2'.repeat(26)}`;
    const { code, out } = await cli(
      'agents',
      'update',
      agentId,
      '--risk',
      'financial',
      '--env',
      'production',
      '--env',
      'staging',
      '--role',
      'payments',
      '--label',
      'team=billing',
      '--max-children',
      '0',
      '--owner',
      newOwner,
      '--tier',
      'monitored',
      '--purpose',
      'Reconciles invoices',
      '--recertify-at',
      'none',
    );
    expect(code).toBe(0);
    expectCall('PATCH', `/v1/agents/${agentId}`, {
      purpose: 'Reconciles invoices',
      risk: 'financial',
      environments: ['production', 'staging'],
      roles: ['payments'],
      labels: { team: 'billing' },
      maxChildren: 0,
      ownerId: newOwner,
      tier: 'monitored',
      recertifyAt: null,
    });
    expect(out).toContain(`updated agent ${agentId}\n`);
    expect(out).toContain('  risk: internal -> financial\n');
    expect(out).toContain('  environments: staging -> production, staging\n');
    expect(out).toContain('  roles: none -> payments\n');
    expect(out).toContain('  labels: none -> team=billing\n');
    expect(out).not.toContain('maxChildren');
  });

  it('sends a recertification time and reports when nothing changed', async () => {
    const agentId = await seed();
    await cli('agents', 'update', agentId, '--recertify-at', '2026-12-31T12:00:00Z');
    expect(last().body).toEqual({ recertifyAt: '2026-12-31T12:00:00.000Z' });
    const again = await cli('agents', 'update', agentId, '--recertify-at', '2026-12-31T12:00:00Z');
    expect(again.code).toBe(0);
    expect(again.out).toBe(`agent ${agentId} already had these values: nothing changed\n`);
  });

  it('is a usage error with nothing to change', async () => {
    const { code, err } = await cli('agents', 'update', id('agt', 1));
    expect(code).toBe(2);
    expect(err).toContain('agents update: nothing to change');
    expect(requests).toEqual([]);
  });
});

describe('warden agents activate, suspend, resume, retire', () => {
  it.each([
    [['activate'], 'activate', {}, 'activated agent', 'active'],
    [
      ['suspend', '--reason', 'leaking data'],
      'suspend',
      { reason: 'leaking data' },
      'suspended agent',
      'suspended',
    ],
    [['resume'], 'resume', {}, 'resumed agent', 'active'],
    [['retire'], 'retire', {}, 'retired agent', 'retired'],
    [['retire', '--reason', 'replaced'], 'retire', { reason: 'replaced' }, 'retired agent', 'retired'],
  ])('%j posts to .../%s', async ([sub, ...flags], path, body, verb, status) => {
    const agentId = await seed('pii');
    const { code, out } = await cli('agents', sub ?? '', agentId, ...flags);
    expect(code).toBe(0);
    expectCall('POST', `/v1/agents/${agentId}/${path}`, body);
    expect(out).toBe(`${verb} ${agentId} (bot): status ${status}\n`);
  });

  it('requires a reason to suspend', async () => {
    const { code, err } = await cli('agents', 'suspend', id('agt', 1));
    expect(code).toBe(2);
    expect(err).toContain('agents suspend: --reason is required');
    expect((await cli('agents', 'suspend', id('agt', 1), '--reason', '')).err).toContain(
      '--reason: must not be empty',
    );
    expect(requests).toEqual([]);
  });

  it('rejects a reason on activate as an unknown option', async () => {
    const { code, err } = await cli('agents', 'activate', id('agt', 1), '--reason', 'x');
    expect(code).toBe(2);
    expect(err).toContain("Unknown option '--reason'");
  });
});

describe('warden agents keys, rotate-key, revoke-key', () => {
  it('lists the keys', async () => {
    const agentId = await seed();
    const { code, out } = await cli('agents', 'keys', agentId);
    expect(code).toBe(0);
    expectCall('GET', `/v1/agents/${agentId}/keys`);
    expect(out.split('\n')[0]).toMatch(/^KEY +HINT +STATE +CREATED +EXPIRES +LAST USED$/);
    expect(out).toMatch(
      new RegExp(`^${id('key', 2)} +wdn_a_hint2 +active +2026-03-02T10:00:00.000Z +never +never$`, 'm'),
    );
  });

  it('rotates with the default overlap, then with --overlap and --expires-in', async () => {
    const agentId = await seed();
    const first = await cli('agents', 'rotate-key', agentId);
    expect(first.code).toBe(0);
    expectCall('POST', `/v1/agents/${agentId}/keys`, { rotate: { overlapSeconds: 3600 } });
    expect(first.out).toContain(`new key for agent ${agentId}\n`);
    expect(first.out).toContain('secret:     wdn_a_secret3\n');
    expect(first.out).toContain('This secret is shown once');
    expect(first.out).toContain('The previous keys keep working for 3600 seconds.');

    const second = await cli('agents', 'rotate-key', agentId, '--overlap', '0', '--expires-in', '86400');
    expect(last().body).toEqual({ rotate: { overlapSeconds: 0 }, expiresInSeconds: 86400 });
    expect(second.out).toContain('expires at: 2099-01-01T00:00:00.000Z\n');

    const bad = await cli('agents', 'rotate-key', agentId, '--expires-in', '0');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--expires-in: expected an integer >= 60, got "0"');
  });

  it('revokes a key with DELETE and no body', async () => {
    const agentId = await seed();
    const keyId = id('key', 2);
    const { code, out } = await cli('agents', 'revoke-key', agentId, keyId);
    expect(code).toBe(0);
    expectCall('DELETE', `/v1/agents/${agentId}/keys/${keyId}`);
    expect(last().rawBody).toBe('');
    expect(last().headers['content-type']).toBeUndefined();
    expect(out).toBe(`revoked key ${keyId} of agent ${agentId} at 2026-03-02T11:00:00.000Z\n`);
    expect((await cli('agents', 'keys', agentId)).out).toMatch(/ revoked /);
  });

  it('accepts a 204 answer to revoke-key', async () => {
    override = () => ({ status: 204 });
    const keyId = id('key', 9);
    const text = await cli('agents', 'revoke-key', id('agt', 1), keyId);
    expect(text.code).toBe(0);
    expect(text.out).toBe(`revoked key ${keyId} of agent ${id('agt', 1)}\n`);
    expect((await cli('agents', 'revoke-key', id('agt', 1), keyId, '--json')).out).toBe('{}\n');
  });

  it('checks both ids locally', async () => {
    const { code, err } = await cli('agents', 'revoke-key', id('agt', 1), 'wdn_ak_abc');
    expect(code).toBe(2);
    expect(err).toContain('key id: expected key_ followed by 26 characters, got "wdn_ak_abc"');
    expect((await cli('agents', 'revoke-key', id('agt', 1))).err).toContain('missing the key id');
  });
});

describe('errors from the server', () => {
  it('prints the error envelope and exits 1', async () => {
    const missing = id('agt', 42);
    const { code, out, err } = await cli('agents', 'show', missing);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(`error: agent ${missing} not found (not_found, request req-1)\n`);
  });

  it('reports a rejected token the same way', async () => {
    const { code, err } = await raw(['agents', 'list', '--url', url, '--token', 'wrong']);
    expect(code).toBe(1);
    expect(err).toBe('error: invalid token (unauthenticated, request req-1)\n');
  });

  it('passes on a validation error from the server', async () => {
    override = () => envelope(400, 'invalid_request', 'body.roles.0: must match pattern');
    const { code, err } = await cli('agents', 'update', id('agt', 1), '--role', 'Bad Role');
    expect(code).toBe(1);
    expect(err).toBe('error: body.roles.0: must match pattern (invalid_request, request req-1)\n');
  });

  it('explains an answer that is not from Warden', async () => {
    override = () => ({ status: 502, raw: '<html>Bad Gateway</html>' });
    const { code, err } = await cli('agents', 'list');
    expect(code).toBe(1);
    expect(err).toContain(`the server at ${url} answered HTTP 502 without a Warden error body`);
  });

  it('does not follow a redirect, which would carry the token elsewhere', async () => {
    override = (r) =>
      r.path === '/v1/agents'
        ? { status: 307, body: {}, location: 'http://elsewhere.example/v1/agents' }
        : undefined;
    const { code, err } = await cli('agents', 'list');
    expect(code).toBe(1);
    expect(err).toBe(
      `error: the server at ${url} redirects to http://elsewhere.example/v1/agents; pass the server's address as --url\n`,
    );
    expect(requests).toHaveLength(1);
  });

  it('explains a successful answer of an unexpected shape', async () => {
    override = () => ({ status: 200, body: { hello: 'world' } });
    const { code, err } = await cli('agents', 'show', id('agt', 1));
    expect(code).toBe(1);
    expect(err).toBe('error: unexpected response from the server: no "agent" object\n');
  });
});

describe('connection', () => {
  it('names the URL when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { code, err } = await raw([
      'agents',
      'list',
      '--url',
      `http://127.0.0.1:${port}/`,
      '--token',
      TOKEN,
    ]);
    expect(code).toBe(1);
    expect(err).toBe(
      `error: cannot connect to the Warden server at http://127.0.0.1:${port}: connection refused. Is it running? Start it, or point --url (or WARDEN_URL) at it.\n`,
    );
  });

  it('is a usage error without a token, saying how to give one', async () => {
    const { code, err } = await raw(['agents', 'list', '--url', url]);
    expect(code).toBe(2);
    expect(err).toContain(
      'no token: pass --token <token>, set WARDEN_TOKEN, or run from the directory holding',
    );
    expect(err).toContain('.warden/admin-token');
    expect(requests).toEqual([]);
  });

  it('reads WARDEN_URL and WARDEN_TOKEN', async () => {
    vi.stubEnv('WARDEN_URL', url);
    vi.stubEnv('WARDEN_TOKEN', TOKEN);
    const { code } = await raw(['agents', 'list']);
    expect(code).toBe(0);
    expect(last().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('prefers the flags to the environment', async () => {
    vi.stubEnv('WARDEN_URL', 'http://127.0.0.1:1');
    vi.stubEnv('WARDEN_TOKEN', 'from-env');
    const { code } = await cli('agents', 'list');
    expect(code).toBe(0);
    expect(last().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('falls back to .warden/admin-token in the current directory', async () => {
    await mkdir(join(scratch, '.warden'));
    await writeFile(join(scratch, '.warden', 'admin-token'), `${TOKEN}\n`);
    const { code } = await raw(['agents', 'list', '--url', url]);
    expect(code).toBe(0);
    expect(last().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('rejects a --url that is not an http URL', async () => {
    const { code, err } = await raw(['agents', 'list', '--url', 'ftp://x', '--token', TOKEN]);
    expect(code).toBe(2);
    expect(err).toContain('--url: expected an http or https URL, got "ftp://x"');
  });
});

describe('help and usage', () => {
  it('prints the group help, and each command help with the connection options', async () => {
    const group = await raw(['agents', '--help']);
    expect(group.code).toBe(0);
    expect(group.out).toContain('rotate-key <agt_id>');
    expect((await raw(['agents'])).code).toBe(2);
    const create = await raw(['agents', 'create', '--help']);
    expect(create.code).toBe(0);
    expect(create.out).toContain('--risk <class>');
    expect(create.out).toContain('--token <token>');
    expect((await raw(['--help'])).out).toContain('agents <command>');
  });

  it('rejects unknown subcommands and options', async () => {
    const unknown = await raw(['agents', 'delete']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "agents delete"');
    const option = await cli('agents', 'list', '--colour');
    expect(option.code).toBe(2);
    expect(option.err).toContain("Unknown option '--colour'");
  });
});
