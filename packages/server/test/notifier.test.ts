import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueHumanToken } from '../src/credentials/issue.js';
import { newId } from '../src/ids.js';
import type { Notification, Notifier } from '../src/notify/notifier.js';
import { SIGNATURE_HEADER, WebhookNotifier } from '../src/notify/webhook-notifier.js';
import { writeTransaction } from '../src/storage/database.js';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

const SECRET = 'a-webhook-secret-of-some-length';

const notification: Notification = {
  type: 'agent.update',
  tenantId: 'ten_01h0000000000000000000000',
  recipient: { humanId: 'usr_01h0000000000000000000000', email: 'owner@example.test' },
  subject: { type: 'agent', id: 'agt_01h0000000000000000000000' },
  summary: 'admin@localhost changed purpose of agent support-bot',
  data: { changes: { purpose: { from: 'a', to: 'b' } } },
  at: 1_700_000_000_000,
};

/** A logger that keeps what it is told, to see failures reported instead of thrown. */
function recordingLogger() {
  const lines: { level: number; msg: string; type?: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** Checks a `t=..,v1=..` signature the way a receiver would. */
function verify(header: string, body: string, secret: string, toleranceSeconds = 300): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match?.[1] || !match[2]) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const given = Buffer.from(match[2], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('WebhookNotifier against a real HTTP receiver', () => {
  let server: Server;
  let url: string;
  let status = 204;
  const received: { method?: string; headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          method: req.method,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/warden`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => {
    received.length = 0;
    status = 204;
  });

  it('posts the notification as JSON with a verifiable HMAC signature', async () => {
    const { log, lines } = recordingLogger();
    await new WebhookNotifier(url, SECRET, log).notify(notification);
    expect(received).toHaveLength(1);
    const request = received[0];
    if (!request) throw new Error('nothing received');
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual(notification);
    const signature = request.headers[SIGNATURE_HEADER];
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verify(String(signature), request.body, SECRET)).toBe(true);
    expect(verify(String(signature), request.body, 'another-secret-entirely')).toBe(false);
    expect(verify(String(signature), request.body.replace('support-bot', 'other-bot'), SECRET)).toBe(false);
    expect(lines).toEqual([]);
  });

  it('logs, never throws, when the receiver refuses or cannot be reached', async () => {
    const { log, lines } = recordingLogger();
    status = 500;
    await expect(new WebhookNotifier(url, SECRET, log).notify(notification)).resolves.toBeUndefined();
    expect(received).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ msg: 'webhook refused', type: 'agent.update' });

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new WebhookNotifier(deadUrl, SECRET, log).notify(notification)).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatchObject({ msg: 'webhook delivery failed', type: 'agent.update' });
  });
});

class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  failing = false;
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
    if (this.failing) throw new Error('channel down');
  }
}

describe.each(DATABASES)('agent changes notify owners through the Notifier port (%s)', (db) => {
  let t: TestNode;
  const notifier = new RecordingNotifier();
  let serial = 0;

  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
    t.node.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${t.adminToken}` },
      ...(payload ? { payload } : {}),
    });

  async function addOwner(): Promise<{ id: string; email: string }> {
    const now = Date.now();
    const tenantId = t.node.bootstrap.tenant.id;
    const id = newId('usr', now);
    const email = `owner${++serial}@example.test`;
    await writeTransaction(t.node.storage, async (trx) => {
      await trx
        .insertInto('humans')
        .values({
          id,
          tenant_id: tenantId,
          email,
          name: `Owner ${serial}`,
          roles: JSON.stringify(['owner']),
          status: 'active',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await issueHumanToken(trx, { tenantId, humanId: id, name: 'test', expiresAt: null, now });
    });
    return { id, email };
  }

  async function createAgent(ownerId: string): Promise<string> {
    const res = await call('POST', '/v1/agents', {
      name: `notified-${++serial}`,
      ownerId,
      purpose: 'triages tickets',
      risk: 'internal',
      environments: ['sandbox'],
    });
    expect(res.statusCode).toBe(201);
    return res.json().agent.id;
  }

  beforeAll(async () => {
    t = await startTestNode(db, { notifier });
  });
  afterAll(() => t.close());
  afterEach(() => {
    notifier.sent.length = 0;
    notifier.failing = false;
  });

  it('tells the owner who changed what', async () => {
    const owner = await addOwner();
    const agentId = await createAgent(owner.id);
    expect(notifier.sent).toEqual([]);
    const res = await call('PATCH', `/v1/agents/${agentId}`, {
      purpose: 'triages and answers tickets',
      roles: ['triage'],
    });
    expect(res.statusCode).toBe(200);
    expect(notifier.sent).toEqual([
      {
        type: 'agent.update',
        tenantId: t.node.bootstrap.tenant.id,
        recipient: { humanId: owner.id, email: owner.email },
        subject: { type: 'agent', id: agentId },
        summary: expect.stringMatching(
          /^Administrator <admin@localhost> changed purpose, roles of agent notified-\d+$/,
        ),
        data: {
          agentName: expect.stringMatching(/^notified-/),
          changes: res.json().changes,
          actor: { type: 'human', id: t.node.bootstrap.created?.adminId },
        },
        at: expect.any(Number),
      },
    ]);
  });

  it('tells both the previous and the new owner when ownership moves', async () => {
    const first = await addOwner();
    const second = await addOwner();
    const agentId = await createAgent(first.id);
    await call('PATCH', `/v1/agents/${agentId}`, { ownerId: second.id });
    expect(notifier.sent.map((n) => n.recipient.email).sort()).toEqual([first.email, second.email].sort());
    expect(notifier.sent.every((n) => n.type === 'agent.update')).toBe(true);
  });

  it('sends nothing for a no-op patch', async () => {
    const owner = await addOwner();
    const agentId = await createAgent(owner.id);
    const res = await call('PATCH', `/v1/agents/${agentId}`, { purpose: 'triages tickets' });
    expect(res.json().changes).toEqual({});
    expect(notifier.sent).toEqual([]);
  });

  it('keeps the change when the notifier fails', async () => {
    const owner = await addOwner();
    const agentId = await createAgent(owner.id);
    notifier.failing = true;
    const res = await call('PATCH', `/v1/agents/${agentId}`, { maxChildren: 4 });
    expect(res.statusCode).toBe(200);
    expect(notifier.sent).toHaveLength(1);
    expect((await call('GET', `/v1/agents/${agentId}`)).json().agent.maxChildren).toBe(4);
  });
});
