import type { FastifyBaseLogger } from 'fastify';
import type { Notification, Notifier } from './notifier.js';

/** Sends each notification to every channel; one failing channel neither stops nor fails the others. */
export class FanoutNotifier implements Notifier {
  constructor(
    private readonly notifiers: readonly Notifier[],
    private readonly log: FastifyBaseLogger,
  ) {}

  async notify(notification: Notification): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((notifier) => notifier.notify(notification)));
    for (const result of results) {
      if (result.status === 'rejected')
        this.log.warn({ err: result.reason, type: notification.type }, 'notification channel failed');
    }
  }
}
