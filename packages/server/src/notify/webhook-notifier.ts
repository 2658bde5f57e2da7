import { createHmac } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Notification, Notifier } from './notifier.js';

export const SIGNATURE_HEADER = 'warden-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: receivers check it and reject stale times. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * Posts each notification as JSON to one URL, signed with a shared secret. Delivery failures are
 * logged, never thrown: a notification must not undo the governance change it reports.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly log: FastifyBaseLogger,
    private readonly timeoutMs = 5_000,
  ) {}

  async notify(notification: Notification): Promise<void> {
    const body = JSON.stringify(notification);
    const signature = signWebhook(this.secret, body, Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok)
        this.log.warn({ status: response.status, type: notification.type }, 'webhook refused');
    } catch (error) {
      this.log.warn({ err: error, type: notification.type }, 'webhook delivery failed');
    }
  }
}
