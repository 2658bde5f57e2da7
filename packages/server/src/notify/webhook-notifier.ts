import { createHmac } from 'node:crypto';

/**
 * The signature scheme of every webhook Warden sends (notifications, audit anchors), and the headers
 * that go with a notification delivery. Delivery itself is the `DeliveryQueue`'s (delivery-queue.ts).
 */
export const SIGNATURE_HEADER = 'warden-signature';
/** The delivery's id, the same on every attempt, so receivers can drop duplicates. */
export const DELIVERY_HEADER = 'warden-delivery';
/** Which attempt this is, from 1. */
export const ATTEMPT_HEADER = 'warden-attempt';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: receivers check it and reject stale times. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}
