import type { DeliveryChannel } from './channel.js';
import { displayUrl } from './delivery.js';
import { RecentKeys } from './recent-keys.js';
import { slackMessage } from './slack-message.js';

/**
 * A Slack incoming webhook. Everyone in the channel sees each post, so an event sent to several people
 * (one `collapseKey`) is posted once. Slack does not check signatures, so attempts are unsigned; the
 * URL itself is the secret and is never stored (only `https://hooks.slack.com/services/…`).
 */
export function slackChannel(url: string, recent: RecentKeys = new RecentKeys()): DeliveryChannel {
  return {
    name: 'slack',
    url,
    displayUrl: displayUrl(url, 1),
    render(notification) {
      const key = notification.collapseKey;
      // Keys are the producer's; the tenant keeps two tenants' events apart however they are named.
      if (key !== undefined && !recent.add(`${notification.tenantId} ${key}`)) return null;
      return JSON.stringify(slackMessage(notification));
    },
    sign: () => ({}),
  };
}
