import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { DeliveryQueue } from '../../src/notify/delivery-queue.js';
import { webhookChannel } from '../../src/notify/webhook-channel.js';
import { addHuman, createOtherTenant, type Method, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { Receiver, sampleNotification, until } from './receiver.js';

const SECRET = 'a-webhook-secret-of-some-length';
const LIST = '/v1/notifications/deliveries';
const replayUrl = (id: string) => `${LIST}/${id}/replay`;

interface DeliveryJson {
  id: string;
  channel: string;
  url: string;
  type: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  body: Record<string, unknown>;
}

/**
 * The node is configured with a signed webhook to a local receiver, so its own queue and worker serve
 * the routes; a second queue on the same storage (another node, in effect) enqueues test deliveries.
 */
describe.each(DATABASES)('notification delivery routes (%s)', (db) => {
  let t: TestNode;
  let receiver: Receiver;
  let queue: DeliveryQueue;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;
  let nonAdmins: string[];
  let agentKey: string;

  const call = (method: Method, url: string, token?: string) => request(t.node, method, url, token);
  const tenant = () => t.node.bootstrap.tenant.id;
  const status = async (id: string) =>
    (
      await t.node.storage.db
        .selectFrom('notification_deliveries')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst()
    )?.status;

  async function enqueue(tenantId = tenant()): Promise<string> {
    const id = await queue.enqueue('webhook', sampleNotification(tenantId));
    if (!id) throw new Error('not queued');
    return id;
  }

  /** A delivery the receiver refuses until it is dead (3 attempts). */
  async function deadDelivery(tenantId = tenant()): Promise<string> {
    receiver.answer = () => ({ status: 500, body: 'receiver broken' });
    const id = await enqueue(tenantId);
    await until(async () => (await status(id)) === 'dead');
    return id;
  }

  /** A delivery whose next retry is an hour away, as after a failed first attempt. */
  async function scheduledDelivery(): Promise<string> {
    const now = Date.now();
    const id = newId('ntf', now);
    await t.node.storage.db
      .insertInto('notification_deliveries')
      .values({
        id,
        tenant_id: tenant(),
        channel: 'webhook',
        url: receiver.url,
        type: 'approval.request',
        body: JSON.stringify(sampleNotification(tenant())),
        status: 'pending',
        attempts: 1,
        last_error: 'HTTP 503',
        next_attempt_at: now + 3_600_000,
        lease_until: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  }

  beforeAll(async () => {
    receiver = await Receiver.start();
    const url = receiver.url.replace('http://', 'http://user:pw@');
    t = await startTestNode(db, {
      policyDir: null,
      settings: { webhookUrl: url, webhookSecret: SECRET, webhookMaxAttempts: 3, webhookRetryBaseMs: 10 },
    });
    queue = new DeliveryQueue({
      storage: t.node.storage,
      log: t.node.app.log,
      channels: [webhookChannel(url, SECRET)],
      maxAttempts: 3,
      retryBaseMs: 10,
      pollIntervalMs: 10,
    });
    queue.start();
    other = await createOtherTenant(t.node);
    nonAdmins = await Promise.all(
      (['security', 'approver', 'auditor', 'owner', 'viewer'] as const).map(
        async (role) => (await addHuman(t.node, [role])).token,
      ),
    );
    agentKey = (await seedAgent(t.node)).key;
  });
  afterAll(async () => {
    await queue.stop();
    await t.close();
    await receiver.close();
  });
  afterEach(async () => {
    await queue.idle();
    receiver.reset();
    await t.node.storage.db.deleteFrom('notification_deliveries').execute();
  });

  describe('GET /v1/notifications/deliveries', () => {
    it('lists dead deliveries with their last error, and the rest by status', async () => {
      const dead = await deadDelivery();
      receiver.answer = () => 200;
      const delivered = await enqueue();
      await until(async () => (await status(delivered)) === 'delivered');

      const res = await call('GET', `${LIST}?status=dead`, t.adminToken);
      expect(res.statusCode).toBe(200);
      const stored = await t.node.storage.db
        .selectFrom('notification_deliveries')
        .selectAll()
        .where('id', '=', dead)
        .executeTakeFirstOrThrow();
      expect(res.json()).toEqual({
        deliveries: [
          {
            id: dead,
            channel: 'webhook',
            // Credentials in the configured URL are never stored or shown.
            url: receiver.url,
            type: 'approval.request',
            status: 'dead',
            attempts: 3,
            lastError: 'HTTP 500: receiver broken',
            nextAttemptAt: null,
            createdAt: new Date(stored.created_at).toISOString(),
            updatedAt: new Date(stored.updated_at).toISOString(),
            body: JSON.parse(stored.body),
          },
        ],
        nextCursor: null,
      });
      const deliveredPage = (await call('GET', `${LIST}?status=delivered`, t.adminToken)).json();
      expect(deliveredPage.deliveries.map((d: DeliveryJson) => d.id)).toEqual([delivered]);
      expect((await call('GET', `${LIST}?status=pending`, t.adminToken)).json().deliveries).toEqual([]);
    });

    it('pages newest first with a cursor', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await enqueue());
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await call('GET', `${LIST}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, t.adminToken);
        expect(page.statusCode).toBe(200);
        const body = page.json();
        expect(body.deliveries.length).toBeLessThanOrEqual(2);
        seen.push(...body.deliveries.map((d: DeliveryJson) => d.id));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });

    it('shows a pending delivery with its next attempt', async () => {
      const id = await scheduledDelivery();
      const [delivery] = (await call('GET', `${LIST}?status=pending`, t.adminToken)).json().deliveries;
      expect(delivery).toMatchObject({ id, status: 'pending', attempts: 1, lastError: 'HTTP 503' });
      expect(Date.parse(delivery.nextAttemptAt)).toBeGreaterThan(Date.now() + 3_000_000);
    });

    it('answers 400 naming the field for a bad status, limit or cursor', async () => {
      for (const [query, field] of [
        ['status=lost', 'querystring.status'],
        ['limit=0', 'querystring.limit'],
        ['limit=501', 'querystring.limit'],
        ['cursor=apr_01h00000000000000000000000', 'querystring.cursor'],
        ['order=asc', 'querystring.order'],
      ] as const) {
        const res = await call('GET', `${LIST}?${query}`, t.adminToken);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'invalid_request', details: { field } });
      }
    });

    it('is for admins only, and shows each tenant only its own deliveries', async () => {
      const ours = await deadDelivery();
      const theirs = await deadDelivery(other.tenantId);
      expect((await call('GET', LIST)).statusCode).toBe(401);
      for (const token of nonAdmins) expect((await call('GET', LIST, token)).statusCode).toBe(403);
      expect((await call('GET', LIST, agentKey)).statusCode).toBe(403);
      const mine = (await call('GET', LIST, t.adminToken)).json().deliveries.map((d: DeliveryJson) => d.id);
      const their = (await call('GET', LIST, other.adminToken))
        .json()
        .deliveries.map((d: DeliveryJson) => d.id);
      expect(mine).toEqual([ours]);
      expect(their).toEqual([theirs]);
    });
  });

  describe('POST /v1/notifications/deliveries/:id/replay', () => {
    it('sends a dead delivery again once the receiver is fixed', async () => {
      const id = await deadDelivery();
      expect(receiver.attemptsOf(id)).toEqual([1, 2, 3]);
      receiver.reset();
      const res = await call('POST', replayUrl(id), t.adminToken);
      expect(res.statusCode).toBe(202);
      expect(res.json().delivery).toMatchObject({ id, status: 'pending', attempts: 0 });
      await until(async () => (await status(id)) === 'delivered');
      expect(receiver.attemptsOf(id)).toEqual([1]);
      const [delivery] = (await call('GET', LIST, t.adminToken)).json().deliveries;
      expect(delivery).toMatchObject({ id, status: 'delivered', attempts: 1, lastError: null });
      // A delivered one may be sent again too (a receiver lost it), with the same body.
      expect((await call('POST', replayUrl(id), t.adminToken)).statusCode).toBe(202);
      await until(() => receiver.attemptsOf(id).length === 2);
      const bodies = receiver.received.filter((r) => r.headers['warden-delivery'] === id).map((r) => r.body);
      expect(bodies).toEqual([JSON.stringify(delivery.body), JSON.stringify(delivery.body)]);
    });

    it('answers 404 for an unknown id, 400 for a malformed one, 409 while still pending', async () => {
      const unknown = await call('POST', replayUrl('ntf_01h00000000000000000000000'), t.adminToken);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('not_found');
      const malformed = await call('POST', replayUrl('not-an-id'), t.adminToken);
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.details.field).toBe('params.id');

      const pending = await scheduledDelivery();
      const res = await call('POST', replayUrl(pending), t.adminToken);
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'conflict', details: { status: 'pending' } });
      const [delivery] = (await call('GET', LIST, t.adminToken)).json().deliveries;
      expect(delivery).toMatchObject({ id: pending, status: 'pending', attempts: 1 });
    });

    it("is for admins only, and cannot reach another tenant's delivery", async () => {
      const id = await deadDelivery();
      expect((await call('POST', replayUrl(id))).statusCode).toBe(401);
      for (const token of nonAdmins) expect((await call('POST', replayUrl(id), token)).statusCode).toBe(403);
      expect((await call('POST', replayUrl(id), agentKey)).statusCode).toBe(403);
      const wrongTenant = await call('POST', replayUrl(id), other.adminToken);
      expect(wrongTenant.statusCode).toBe(404);
      const [delivery] = (await call('GET', LIST, t.adminToken)).json().deliveries;
      expect(delivery).toMatchObject({ id, status: 'dead', attempts: 3 });
      expect(receiver.attemptsOf(id)).toEqual([1, 2, 3]);
    });
  });
});
