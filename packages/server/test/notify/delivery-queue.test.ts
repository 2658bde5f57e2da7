import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { DeliveryQueue, type DeliveryQueueOptions } from '../../src/notify/delivery-queue.js';
import { webhookChannel } from '../../src/notify/webhook-channel.js';
import { SIGNATURE_HEADER } from '../../src/notify/webhook-notifier.js';
import { openStorage } from '../../src/storage/database.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  Receiver,
  recordingLogger,
  refusingUrl,
  sampleNotification,
  until,
  verifySignature,
} from './receiver.js';

const SECRET = 'a-webhook-secret-of-some-length';

describe.each(DATABASES)('signed webhook deliveries (%s)', (db) => {
  let t: TestNode;
  let receiver: Receiver;
  const queues: DeliveryQueue[] = [];

  /** A queue on the node's storage posting to `url` (the receiver unless given). */
  function queue(options: Partial<DeliveryQueueOptions> & { url?: string } = {}): DeliveryQueue {
    const { url, ...rest } = options;
    const created = new DeliveryQueue({
      storage: t.node.storage,
      log: t.node.app.log,
      channels: [webhookChannel(url ?? receiver.url, SECRET)],
      maxAttempts: 3,
      retryBaseMs: 10,
      pollIntervalMs: 5,
      ...rest,
    });
    queues.push(created);
    return created;
  }

  const row = (id: string | undefined) =>
    t.node.storage.db
      .selectFrom('notification_deliveries')
      .selectAll()
      .where('id', '=', id ?? '')
      .executeTakeFirstOrThrow();

  const tenant = () => t.node.bootstrap.tenant.id;

  beforeAll(async () => {
    t = await startTestNode(db, { policyDir: null });
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.stop()));
    receiver.reset();
    // Every test starts with an empty queue: a left-over pending row would go to the next receiver.
    await t.node.storage.db.deleteFrom('notification_deliveries').execute();
  });

  it('signs every attempt afresh so a receiver can verify it, and the row ends delivered', async () => {
    let now = Date.now();
    const q = queue({ clock: () => now });
    receiver.answer = (_request, n) => (n === 1 ? 500 : 200);
    const notification = sampleNotification(tenant(), {
      link: 'https://warden.example.com/v1/approvals/apr_1',
    });
    const id = await q.enqueue('webhook', notification);
    expect(id).toMatch(/^ntf_[0-9a-z]{26}$/);
    await q.idle();
    now += 2_000;
    await q.flush();

    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    if (!first || !second) throw new Error('two attempts expected');
    expect(JSON.parse(first.body)).toEqual(notification);
    expect(second.body).toBe(first.body);
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['user-agent']).toMatch(/^Warden\/\d+\.\d+\.\d+$/);
    expect(first.headers['warden-delivery']).toBe(id);
    expect(second.headers['warden-delivery']).toBe(id);
    expect([first.headers['warden-attempt'], second.headers['warden-attempt']]).toEqual(['1', '2']);
    for (const request of [first, second]) {
      const signature = request.headers[SIGNATURE_HEADER];
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifySignature(signature, request.body, SECRET, now / 1000)).toBe(true);
      expect(verifySignature(signature, request.body, 'another-secret-entirely', now / 1000)).toBe(false);
      expect(verifySignature(signature, request.body.replace('refund', 'refunx'), SECRET, now / 1000)).toBe(
        false,
      );
      // A captured request replayed ten minutes later is stale.
      expect(verifySignature(signature, request.body, SECRET, now / 1000 + 600)).toBe(false);
    }
    // A fresh timestamp per attempt: the signatures differ, by exactly the time that passed.
    expect(second.headers[SIGNATURE_HEADER]).not.toBe(first.headers[SIGNATURE_HEADER]);
    const seconds = (header: unknown) => Number(/^t=(\d+)/.exec(String(header))?.[1]);
    expect(seconds(second.headers[SIGNATURE_HEADER]) - seconds(first.headers[SIGNATURE_HEADER])).toBe(2);

    expect(await row(id)).toMatchObject({
      tenant_id: tenant(),
      channel: 'webhook',
      type: 'approval.request',
      body: first.body,
      status: 'delivered',
      attempts: 2,
      last_error: null,
      lease_until: null,
    });
  });

  it('retries a receiver answering 500 twice, then 200: exactly three attempts', async () => {
    const q = queue();
    q.start();
    receiver.answer = (_request, n) => (n <= 2 ? { status: 500, body: 'database is down' } : 204);
    const id = await q.enqueue('webhook', sampleNotification(tenant()));
    await until(async () => (await row(id)).status === 'delivered');
    await q.idle();
    expect(receiver.attemptsOf(id ?? '')).toEqual([1, 2, 3]);
    expect(receiver.received).toHaveLength(3);
    expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
  });

  it('gives up after maxAttempts: the delivery is dead with the last error', async () => {
    const q = queue({ maxAttempts: 4 });
    q.start();
    receiver.answer = () => ({ status: 503, body: 'maintenance\n  until noon' });
    const id = await q.enqueue('webhook', sampleNotification(tenant()));
    await until(async () => (await row(id)).status === 'dead');
    await q.flush();
    expect(receiver.attemptsOf(id ?? '')).toEqual([1, 2, 3, 4]);
    expect(await row(id)).toMatchObject({
      status: 'dead',
      attempts: 4,
      last_error: 'HTTP 503: maintenance until noon',
      lease_until: null,
    });
  });

  it('counts a refused connection and a receiver that never answers as failures', async () => {
    let now = Date.now();
    const refused = queue({ url: await refusingUrl(), clock: () => now, maxAttempts: 2 });
    const id = await refused.enqueue('webhook', sampleNotification(tenant()));
    await refused.idle();
    const afterFirst = await row(id);
    expect(afterFirst).toMatchObject({ status: 'pending', attempts: 1 });
    expect(afterFirst.last_error).toMatch(/ECONNREFUSED/);
    now += 60_000;
    await refused.flush();
    expect(await row(id)).toMatchObject({ status: 'dead', attempts: 2 });

    receiver.answer = () => 'hang';
    const slow = queue({ timeoutMs: 100, maxAttempts: 1 });
    const slowId = await slow.enqueue('webhook', sampleNotification(tenant()));
    await slow.idle();
    expect(await row(slowId)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: 'no answer within 100 ms',
    });
  });

  it('backs off exponentially with jitter, on the injected clock', async () => {
    let now = 1_800_000_000_000;
    const q = queue({ clock: () => now, retryBaseMs: 1_000, maxAttempts: 6 });
    receiver.answer = () => 500;
    const id = await q.enqueue('webhook', sampleNotification(tenant()));
    await q.idle();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const current = await row(id);
      expect(current).toMatchObject({ status: 'pending', attempts: attempt });
      const delay = current.next_attempt_at - now;
      delays.push(delay);
      const nominal = 1_000 * 2 ** (attempt - 1);
      expect(delay).toBeGreaterThanOrEqual(nominal * 0.8);
      expect(delay).toBeLessThanOrEqual(nominal * 1.2);
      // Not yet due: nothing is sent a millisecond early.
      now = current.next_attempt_at - 1;
      await q.flush();
      expect(receiver.received).toHaveLength(attempt);
      now = current.next_attempt_at;
      await q.flush();
      expect(receiver.received).toHaveLength(attempt + 1);
    }
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(await row(id)).toMatchObject({ status: 'dead', attempts: 6 });
  });

  it('survives a restart: a new queue on the same storage finishes what the old one left', async () => {
    let now = Date.now();
    const before = queue({ clock: () => now });
    receiver.answer = () => 502;
    const id = await before.enqueue('webhook', sampleNotification(tenant()));
    await before.stop();
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 502' });

    now += 60_000;
    receiver.answer = () => 200;
    const after = queue({ clock: () => now });
    after.start();
    await until(async () => (await row(id)).status === 'delivered');
    expect(receiver.attemptsOf(id ?? '')).toEqual([1, 2]);
  });

  it('takes over an attempt whose node stopped mid-way once its lease lapses', async () => {
    let now = Date.now();
    const q = queue({ clock: () => now });
    receiver.answer = () => 500;
    const id = await q.enqueue('webhook', sampleNotification(tenant()));
    await q.idle();
    // As if a node claimed attempt 2 and then died before reporting back.
    const { next_attempt_at } = await row(id);
    await t.node.storage.db
      .updateTable('notification_deliveries')
      .set({ attempts: 2, lease_until: next_attempt_at + 30_000 })
      .where('id', '=', id ?? '')
      .execute();
    now = next_attempt_at + 1_000;
    await q.flush();
    expect(receiver.received).toHaveLength(1);
    now = next_attempt_at + 31_000;
    receiver.answer = () => 200;
    await q.flush();
    expect(receiver.attemptsOf(id ?? '')).toEqual([1, 3]);
    expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 3 });

    // The last allowed attempt abandoned: the delivery is dead, not sent a fourth time.
    receiver.answer = () => 500;
    const other = await q.enqueue('webhook', sampleNotification(tenant()));
    await q.idle();
    await t.node.storage.db
      .updateTable('notification_deliveries')
      .set({ attempts: 3, lease_until: now + 30_000, last_error: null })
      .where('id', '=', other ?? '')
      .execute();
    now += 31_000;
    await q.flush();
    expect(receiver.attemptsOf(other ?? '')).toEqual([1]);
    expect(await row(other)).toMatchObject({
      status: 'dead',
      attempts: 3,
      last_error: 'the last attempt never reported back',
    });
  });

  it('never throws from notify: not when the receiver is down, not when storage is', async () => {
    const q = queue({ url: await refusingUrl(), maxAttempts: 1 });
    const started = Date.now();
    await expect(q.notifier('webhook').notify(sampleNotification(tenant()))).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    await q.idle();

    // Storage that fails every query: PostgreSQL that is not there, or SQLite without the tables.
    const { log, lines } = recordingLogger();
    const nowhere = `postgres://postgres@${new URL(await refusingUrl()).host}/test`;
    const storage = openStorage(
      loadConfig({
        overrides: {
          dataDir: t.database.dataDir,
          databaseUrl: db === 'postgres' ? nowhere : 'sqlite::memory:',
        },
      }),
    );
    const broken = new DeliveryQueue({
      storage,
      log,
      channels: [webhookChannel(receiver.url, SECRET)],
      maxAttempts: 3,
      retryBaseMs: 10,
    });
    await expect(broken.notifier('webhook').notify(sampleNotification(tenant()))).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatchObject({ msg: 'notification not queued', type: 'approval.request' });
    expect(receiver.received).toEqual([]);
    await broken.stop();
    await storage.close();
  });

  it('sends basic-auth credentials from the URL as a header and never stores them', async () => {
    const withCredentials = receiver.url.replace('http://', 'http://hook%20user:s3cr%3At@');
    const q = queue({ url: `${withCredentials}?token=abc#frag` });
    const id = await q.enqueue('webhook', sampleNotification(tenant()));
    await q.idle();
    expect(receiver.received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('hook user:s3cr:t').toString('base64')}`,
    );
    expect(receiver.received[0]?.path).toBe('/hooks/warden?token=abc');
    expect((await row(id)).url).toBe(receiver.url);
  });
});
