import type { FastifyBaseLogger } from 'fastify';
import { notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import type { Worker } from '../lifecycle/worker.js';
import type { Storage } from '../storage/database.js';
import { retryDelay } from './backoff.js';
import type { DeliveryChannel } from './channel.js';
import type { Delivery } from './delivery.js';
import {
  type AttemptResult,
  buryAbandoned,
  claimAttempt,
  type DeliveryFilter,
  type DueDelivery,
  dueDeliveries,
  findDelivery,
  insertDelivery,
  listDeliveries,
  recordAttempt,
  requeue,
} from './delivery-store.js';
import type { Notification, Notifier } from './notifier.js';
import { postAttempt } from './post.js';
import { ATTEMPT_HEADER, DELIVERY_HEADER } from './webhook-notifier.js';

export interface DeliveryQueueOptions {
  readonly storage: Storage;
  readonly log: FastifyBaseLogger;
  /** The channels this node sends; deliveries of other channels stay pending for a node that has them. */
  readonly channels: readonly DeliveryChannel[];
  /** After this many failed attempts a delivery is dead. */
  readonly maxAttempts: number;
  /** The wait after the first failure; it doubles with each further one. */
  readonly retryBaseMs: number;
  readonly clock?: () => number;
  /** In [0, 1), for the jitter (tests). */
  readonly random?: () => number;
  /** How often the worker looks for due deliveries; 1 second unless set. */
  readonly pollIntervalMs?: number;
  /** How long one attempt may take; 5 seconds unless set. */
  readonly timeoutMs?: number;
  /** How long a node holds an attempt before another may take the delivery over; 30 seconds unless set. */
  readonly leaseMs?: number;
  /** At most this many attempts run at once on this node. */
  readonly maxInFlight?: number;
}

/**
 * Durable outgoing notifications: each is a row of `notification_deliveries` first, then attempts.
 * The first attempt starts at once; retries (exponential backoff with jitter) and deliveries left by a
 * stopped node are picked up by the worker, on whichever node claims them first. A delivery that
 * fails `maxAttempts` times is dead (the dead-letter queue) until an admin replays it.
 */
export class DeliveryQueue implements Worker {
  private readonly storage: Storage;
  private readonly log: FastifyBaseLogger;
  private readonly channels: ReadonlyMap<string, DeliveryChannel>;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly maxInFlight: number;
  /** Attempts running on this node, by delivery id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private polling: Promise<void> | undefined;
  readonly name = 'notification delivery';
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(options: DeliveryQueueOptions) {
    this.storage = options.storage;
    this.log = options.log;
    this.channels = new Map(options.channels.map((channel) => [channel.name, channel]));
    this.maxAttempts = options.maxAttempts;
    this.retryBaseMs = options.retryBaseMs;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    // A lease shorter than an attempt would let a second node send while the first still waits.
    this.leaseMs = Math.max(options.leaseMs ?? 30_000, this.timeoutMs + 1_000);
    this.maxInFlight = options.maxInFlight ?? 32;
  }

  /** The names of the channels this node sends. */
  get channelNames(): readonly string[] {
    return [...this.channels.keys()];
  }

  /** The port for one channel: each notification becomes a delivery of it. */
  notifier(channelName: string): Notifier {
    if (!this.channels.has(channelName)) throw new Error(`no notification channel ${channelName}`);
    return { notify: async (notification) => void (await this.enqueue(channelName, notification)) };
  }

  /**
   * Stores a delivery of `notification` and starts its first attempt without waiting for it. Returns
   * its id, or undefined when the channel sends nothing for it (a collapsed copy) or it could not be
   * stored. Never throws: a notification must not undo the change it reports.
   */
  async enqueue(channelName: string, notification: Notification): Promise<string | undefined> {
    const channel = this.channels.get(channelName);
    try {
      if (!channel) throw new Error(`no notification channel ${channelName}`);
      const body = channel.render(notification);
      if (body === null) return undefined;
      const now = this.clock();
      const id = newId('ntf', now);
      await insertDelivery(this.storage.db, {
        id,
        tenantId: notification.tenantId,
        channel: channel.name,
        url: channel.displayUrl,
        type: notification.type,
        body,
        now,
      });
      this.kick({ id, channel: channel.name, body, attempts: 0 });
      return id;
    } catch (error) {
      this.log.error(
        { err: error, type: notification.type, channel: channelName },
        'notification not queued',
      );
      return undefined;
    }
  }

  /** Starts the worker; it looks at once for deliveries left pending (by a restart, by another node). */
  start(): void {
    this.stopped = false;
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.pollIntervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the worker and waits for attempts under way; what is left stays pending in storage. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  /** Resolves when no attempt (and no look for due deliveries) is running on this node. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.polling) {
      await Promise.allSettled([...this.inFlight.values(), this.polling]);
    }
  }

  /** Sends whatever is due now and waits for those attempts to finish. */
  async flush(): Promise<void> {
    await this.polling;
    await this.tick();
    await this.idle();
  }

  list(
    tenantId: string,
    filter: DeliveryFilter,
  ): Promise<{ deliveries: Delivery[]; nextCursor: string | null }> {
    return listDeliveries(this.storage.db, tenantId, filter);
  }

  /**
   * Sends a dead (or delivered) delivery again: back to pending with its attempts reset, first attempt
   * now. Throws not_found for an id the tenant does not have, conflict while it is still pending.
   */
  async replay(tenantId: string, id: string): Promise<Delivery> {
    const delivery = await findDelivery(this.storage.db, tenantId, id);
    if (!delivery) throw notFound('delivery', id);
    if (!this.channels.has(delivery.channel)) {
      throw new WardenError('conflict', `the ${delivery.channel} channel is not configured on this node`, {
        channel: delivery.channel,
      });
    }
    const now = this.clock();
    if (delivery.status === 'pending' || !(await requeue(this.storage.db, tenantId, id, now))) {
      throw new WardenError('conflict', `delivery ${id} is still pending; it is retried on its own`, {
        status: 'pending',
      });
    }
    this.kick({ id, channel: delivery.channel, body: delivery.body, attempts: 0 });
    return { ...delivery, status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now };
  }

  private tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.polling ??= this.poll()
      .catch((error: unknown) => this.log.error({ err: error }, 'looking for due notifications failed'))
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  private async poll(): Promise<void> {
    const room = this.maxInFlight - this.inFlight.size;
    const due = await dueDeliveries(this.storage.db, this.channelNames, this.clock(), room);
    for (const delivery of due) this.kick(delivery);
  }

  private kick(delivery: DueDelivery): void {
    if (this.stopped || this.inFlight.has(delivery.id)) return;
    const run = this.attempt(delivery)
      .catch((error: unknown) =>
        // Storage failed around the attempt; the lease lapses and the delivery is tried again.
        this.log.error({ err: error, delivery: delivery.id }, 'notification attempt not recorded'),
      )
      .finally(() => this.inFlight.delete(delivery.id));
    this.inFlight.set(delivery.id, run);
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const channel = this.channels.get(delivery.channel);
    if (!channel) return;
    const db = this.storage.db;
    const now = this.clock();
    if (delivery.attempts >= this.maxAttempts) {
      await buryAbandoned(db, delivery.id, delivery.attempts, now);
      return;
    }
    const leaseUntil = now + this.leaseMs;
    const claim = { id: delivery.id, attempts: delivery.attempts, url: channel.displayUrl, now, leaseUntil };
    if (!(await claimAttempt(db, claim))) return;
    const attempt = delivery.attempts + 1;
    const headers = {
      ...channel.sign(delivery.body, Math.floor(now / 1000)),
      [DELIVERY_HEADER]: delivery.id,
      [ATTEMPT_HEADER]: String(attempt),
    };
    const error = await postAttempt(channel.url, delivery.body, headers, this.timeoutMs);
    const done = this.clock();
    const result: AttemptResult =
      error === null
        ? { kind: 'delivered' }
        : attempt >= this.maxAttempts
          ? { kind: 'dead', error }
          : {
              kind: 'retry',
              error,
              nextAttemptAt: done + retryDelay(attempt, this.retryBaseMs, this.random),
            };
    await recordAttempt(db, { id: delivery.id, attempt, leaseUntil }, result, done);
    const context = { delivery: delivery.id, channel: channel.name, attempt };
    if (result.kind === 'dead') this.log.error({ ...context, error }, 'notification delivery dead');
    else if (result.kind === 'retry') this.log.warn({ ...context, error }, 'notification attempt failed');
  }
}
