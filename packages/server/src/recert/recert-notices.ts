import type { JsonValue } from '@warden/policy';
import type { HumanRef } from '../agents/agent-store.js';
import type { Notification } from '../notify/notifier.js';
import type { Campaign } from './campaign.js';

/** One notice about a campaign for each recipient, sharing a collapse key (Slack posts it once). */
export function campaignNotices(
  type: string,
  campaign: Campaign,
  recipients: readonly HumanRef[],
  summary: (recipient: HumanRef) => string,
  data: (recipient: HumanRef) => { readonly [key: string]: JsonValue },
  at: number,
  link: string | undefined,
  /** The same message for everyone (Slack posts it once), or one message per person. */
  shared: boolean,
): Notification[] {
  return recipients.map((recipient) => ({
    type,
    tenantId: campaign.tenantId,
    recipient: { humanId: recipient.id, email: recipient.email },
    subject: { type: 'recert_campaign', id: campaign.id },
    summary: summary(recipient),
    data: {
      campaignId: campaign.id,
      campaign: campaign.name,
      deadline: new Date(campaign.deadlineAt).toISOString(),
      ...data(recipient),
    },
    at,
    ...(link ? { link } : {}),
    collapseKey: shared ? `${type}:${campaign.id}:${at}` : `${type}:${campaign.id}:${recipient.id}:${at}`,
  }));
}
