import type { JsonValue } from '@warden/policy';

/** Something a human should hear about: an owner whose agent was changed, an approver with work. */
export interface Notification {
  /** `resource.verb`, as in the audit log: agent.update, agent.suspend, ... */
  readonly type: string;
  readonly tenantId: string;
  /** The human to reach. */
  readonly recipient: { readonly humanId: string; readonly email?: string };
  readonly subject: { readonly type: string; readonly id: string };
  readonly summary: string;
  readonly data: { readonly [key: string]: JsonValue };
  readonly at: number;
  /**
   * An absolute URL where the human opens the item (`<public url>/v1/approvals/apr_...`). It never
   * carries a credential: whoever follows it signs in there.
   */
  readonly link?: string;
  /**
   * Notifications sharing a key describe one event sent to several people; channels that post to a
   * shared place (Slack) send it once.
   */
  readonly collapseKey?: string;
}

/** The notification port; adapters (signed webhook, Slack, email) are chosen in main.ts. */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

/** When nothing is configured, notifications go to the log so they are still visible. */
export class LogNotifier implements Notifier {
  constructor(private readonly log: (message: string, data: object) => void) {}

  async notify(notification: Notification): Promise<void> {
    this.log('notification', notification);
  }
}

/**
 * The `link` for an item at `path` (`/v1/approvals/apr_...`) under the public URL, or undefined when
 * no public URL is configured: a link to the wrong host is worse than none.
 */
export function linkTo(publicUrl: string | undefined, path: string): string | undefined {
  if (!publicUrl) return undefined;
  return `${publicUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
