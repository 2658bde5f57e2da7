import type { DeliveryChannel } from './channel.js';
import { displayUrl } from './delivery.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-notifier.js';

/** The notification as JSON, HMAC-signed with the shared secret on every attempt. */
export function webhookChannel(url: string, secret: string): DeliveryChannel {
  return {
    name: 'webhook',
    url,
    displayUrl: displayUrl(url),
    render: (notification) => JSON.stringify(notification),
    sign: (body, timestampSeconds) => ({ [SIGNATURE_HEADER]: signWebhook(secret, body, timestampSeconds) }),
  };
}
