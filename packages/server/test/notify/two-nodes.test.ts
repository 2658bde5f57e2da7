import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../src/notify/delivery-queue.js';
import { webhookChannel } from '../../src/notify/webhook-channel.js';
import { openStorage, type Storage } from '../../src/storage/database.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { Receiver, sampleNotification, until } from './receiver.js';

const SECRET = 'a-webhook-secret-of-some-length';

/**
 * Two nodes share one database, each with its own connection(s) and its own worker, both racing for
 * the same due deliveries: every attempt must be sent exactly once.
 */
describe.each(DATABASES)('deliveries shared by two nodes (%s)', (db) => {
  let t: TestNode;
  let secondStorage: Storage;
  let receiver: Receiver;
  let queues: DeliveryQueue[];

  beforeAll(async () => {
    t = await startTestNode(db, { policyDir: null });
    secondStorage = openStorage(t.node.config);
    receiver = await Receiver.start();
    queues = [t.node.storage, secondStorage].map(
      (storage) =>
        new DeliveryQueue({
          storage,
          log: t.node.app.log,
          channels: [webhookChannel(receiver.url, SECRET)],
          maxAttempts: 3,
          retryBaseMs: 10,
          pollIntervalMs: 2,
        }),
    );
  });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.stop()));
    await receiver.close();
    await secondStorage.close();
    await t.close();
  });

  it('sends each attempt of each delivery exactly once', async () => {
    receiver.answer = () => 500;
    for (const q of queues) q.start();
    const [first, second] = queues;
    if (!first || !second) throw new Error('two queues expected');
    const tenantId = t.node.bootstrap.tenant.id;
    // Enqueued on both nodes at once; each node's immediate attempt races the other's worker.
    const ids = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? first : second).enqueue('webhook', sampleNotification(tenantId)),
      ),
    );
    const dead = () =>
      t.node.storage.db
        .selectFrom('notification_deliveries')
        .select(['id', 'attempts'])
        .where('status', '=', 'dead')
        .execute();
    await until(async () => (await dead()).length === ids.length, 10_000);
    await Promise.all(queues.map((q) => q.flush()));

    for (const id of ids) expect(receiver.attemptsOf(id ?? '').sort()).toEqual([1, 2, 3]);
    expect(receiver.received).toHaveLength(ids.length * 3);
    expect((await dead()).every((row) => row.attempts === 3)).toBe(true);
  });

  it('sends one due delivery once when both workers look for it together', async () => {
    receiver.reset();
    await Promise.all(queues.map((q) => q.stop()));
    let now = Date.now();
    const clocked = [t.node.storage, secondStorage].map(
      (storage) =>
        new DeliveryQueue({
          storage,
          log: t.node.app.log,
          channels: [webhookChannel(receiver.url, SECRET)],
          maxAttempts: 3,
          retryBaseMs: 10,
          clock: () => now,
        }),
    );
    receiver.answer = (_request, n) => (n === 1 ? 500 : 200);
    const id = await clocked[0]?.enqueue('webhook', sampleNotification(t.node.bootstrap.tenant.id));
    await clocked[0]?.idle();
    now += 60_000;
    // Both flush the one due retry at the same moment, several times over.
    await Promise.all([...clocked, ...clocked, ...clocked].map((q) => q.flush()));
    expect(receiver.attemptsOf(id ?? '')).toEqual([1, 2]);
    await Promise.all(clocked.map((q) => q.stop()));
  });
});
