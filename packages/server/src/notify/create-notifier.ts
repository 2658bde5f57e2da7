import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import type { Storage } from '../storage/database.js';
import type { DeliveryChannel } from './channel.js';
import { DeliveryQueue } from './delivery-queue.js';
import { FanoutNotifier } from './fanout-notifier.js';
import { LogNotifier, type Notifier } from './notifier.js';
import { slackChannel } from './slack-channel.js';
import { webhookChannel } from './webhook-channel.js';

export type NotifyConfig = Pick<
  Config,
  'webhookUrl' | 'webhookSecret' | 'slackWebhookUrl' | 'webhookMaxAttempts' | 'webhookRetryBaseMs'
>;

export interface NotifierDeps {
  readonly config: NotifyConfig;
  readonly storage: Storage;
  readonly log: FastifyBaseLogger;
  readonly clock?: () => number;
  /** How often the worker looks for due retries; unless set, about the first retry's wait (50 ms to 1 s). */
  readonly pollIntervalMs?: number;
}

export interface Notifications {
  /** What services notify through. */
  readonly notifier: Notifier;
  /**
   * The durable queue behind it, for the dead-letter routes; it exists even with no channel
   * configured. It is also the retry worker the node starts and stops.
   */
  readonly queue: DeliveryQueue;
}

/**
 * The configured channels: a signed webhook when WARDEN_WEBHOOK_URL (and its secret) is set, Slack
 * when WARDEN_SLACK_WEBHOOK_URL is, both when both are; with neither, notifications go to the log.
 */
export function createNotifier(deps: NotifierDeps): Notifications {
  const { config, log } = deps;
  const channels: DeliveryChannel[] = [];
  if (config.webhookUrl && config.webhookSecret)
    channels.push(webhookChannel(config.webhookUrl, config.webhookSecret));
  if (config.slackWebhookUrl) channels.push(slackChannel(config.slackWebhookUrl));
  const queue = new DeliveryQueue({
    storage: deps.storage,
    log,
    channels,
    maxAttempts: config.webhookMaxAttempts,
    retryBaseMs: config.webhookRetryBaseMs,
    ...(deps.clock ? { clock: deps.clock } : {}),
    // Looking much more often than the shortest retry wait finds nothing new; much less, delays it.
    pollIntervalMs: deps.pollIntervalMs ?? Math.min(1_000, Math.max(50, config.webhookRetryBaseMs)),
  });
  const notifiers = channels.map((channel) => queue.notifier(channel.name));
  const notifier =
    notifiers.length === 0
      ? new LogNotifier((message, data) => log.info(data, message))
      : notifiers.length === 1 && notifiers[0]
        ? notifiers[0]
        : new FanoutNotifier(notifiers, log);
  return { notifier, queue };
}
