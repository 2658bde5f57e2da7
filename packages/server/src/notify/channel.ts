import type { Notification } from './notifier.js';

/**
 * One place deliveries go (a signed webhook, a Slack incoming webhook). The queue stores and retries;
 * the channel decides what is sent and how an attempt is authenticated.
 */
export interface DeliveryChannel {
  /** Stored with each delivery (`webhook`, `slack`); a node sends only channels it has configured. */
  readonly name: string;
  /** Where every attempt goes now; deliveries follow a changed configuration. */
  readonly url: string;
  /** The URL without its secrets, stored with each delivery and shown by the API. */
  readonly displayUrl: string;
  /** The exact body sent on every attempt, or null when this channel sends nothing for it. */
  render(notification: Notification): string | null;
  /** Headers that authenticate one attempt; the timestamp is fresh for each. */
  sign(body: string, timestampSeconds: number): Record<string, string>;
}
