import type { Notification } from './notifier.js';

/** Block Kit limits Slack enforces; a message over them is refused with `invalid_blocks`. */
const SECTION_TEXT_MAX = 3000;
const BUTTON_URL_MAX = 3000;

interface MrkdwnText {
  readonly type: 'mrkdwn';
  readonly text: string;
}

export type SlackBlock =
  | { readonly type: 'section'; readonly text: MrkdwnText }
  | { readonly type: 'context'; readonly elements: readonly MrkdwnText[] }
  | {
      readonly type: 'actions';
      readonly elements: readonly {
        readonly type: 'button';
        readonly text: { readonly type: 'plain_text'; readonly text: string };
        readonly url: string;
        readonly action_id: string;
      }[];
    };

/** What a Slack incoming webhook accepts: `text` is the fallback for notifications and old clients. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/**
 * The notification as a Slack message: the summary, then its type and time (and whom it was for, when
 * it is not one event collapsed for several people), then a button to open it in Warden.
 */
export function slackMessage(notification: Notification): SlackMessage {
  const summary = truncate(escapeMrkdwn(notification.summary), SECTION_TEXT_MAX);
  const seconds = Math.floor(notification.at / 1000);
  const iso = new Date(notification.at).toISOString();
  const context = [
    `\`${escapeMrkdwn(notification.type)}\``,
    `<!date^${seconds}^{date_short_pretty} {time}|${iso}>`,
  ];
  const recipient = notification.recipient.email;
  if (notification.collapseKey === undefined && recipient) context.push(`for ${escapeMrkdwn(recipient)}`);
  const blocks: SlackBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: summary } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
  ];
  if (notification.link && notification.link.length <= BUTTON_URL_MAX) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in Warden' },
          url: notification.link,
          action_id: 'warden-open',
        },
      ],
    });
  }
  return { text: summary, blocks };
}

/** Slack reads `<`, `>` and `&` as markup (links, mentions); these three are its whole escaping. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
