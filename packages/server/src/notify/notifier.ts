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
