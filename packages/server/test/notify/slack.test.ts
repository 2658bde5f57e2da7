import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, type Notifications } from '../../src/notify/create-notifier.js';
import { DeliveryQueue } from '../../src/notify/delivery-queue.js';
import { FanoutNotifier } from '../../src/notify/fanout-notifier.js';
import { LogNotifier } from '../../src/notify/notifier.js';
import { slackChannel } from '../../src/notify/slack-channel.js';
import { SIGNATURE_HEADER } from '../../src/notify/webhook-notifier.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { Receiver, recordingLogger, sampleNotification, until, verifySignature } from './receiver.js';

const SECRET = 'a-webhook-secret-of-some-length';
const LINK = 'https://warden.example.com/v1/approvals/apr_01h0000000000000000000000';

describe.each(DATABASES)('Slack and the notifier factory (%s)', (db) => {
  let t: TestNode;
  let slack: Receiver;
  let webhook: Receiver;
  const stops: (() => Promise<void>)[] = [];

  const rows = () =>
    t.node.storage.db.selectFrom('notification_deliveries').selectAll().orderBy('id').execute();
  const tenant = () => t.node.bootstrap.tenant.id;

  function slackQueue(maxAttempts = 3): DeliveryQueue {
    const queue = new DeliveryQueue({
      storage: t.node.storage,
      log: t.node.app.log,
      channels: [slackChannel(slack.url)],
      maxAttempts,
      retryBaseMs: 10,
      pollIntervalMs: 5,
    });
    stops.push(() => queue.stop());
    return queue;
  }

  function notifications(config: Parameters<typeof createNotifier>[0]['config']): Notifications {
    const created = createNotifier({
      config,
      storage: t.node.storage,
      log: t.node.app.log,
      pollIntervalMs: 5,
    });
    stops.push(() => created.queue.stop());
    return created;
  }

  beforeAll(async () => {
    t = await startTestNode(db, { policyDir: null });
    slack = await Receiver.start('/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX');
    webhook = await Receiver.start();
  });
  afterAll(async () => {
    await Promise.all([slack.close(), webhook.close()]);
    await t.close();
  });
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    slack.reset();
    webhook.reset();
    await t.node.storage.db.deleteFrom('notification_deliveries').execute();
  });

  it('posts a message Slack accepts: text, a summary section, a context line and a link button', async () => {
    const queue = slackQueue();
    slack.answer = () => ({ status: 200, body: 'ok' });
    const notification = sampleNotification(tenant(), {
      summary: 'Administrator <admin@localhost> asks: refund & close ticket 4711',
      link: LINK,
      at: Date.UTC(2026, 10, 21, 7, 25, 34),
    });
    const id = await queue.enqueue('slack', notification);
    await queue.idle();

    expect(slack.received).toHaveLength(1);
    const request = slack.received[0];
    if (!request) throw new Error('nothing posted');
    expect(request.path).toBe('/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers[SIGNATURE_HEADER]).toBeUndefined();
    expect(request.headers['warden-delivery']).toBe(id);
    const summary = 'Administrator &lt;admin@localhost&gt; asks: refund &amp; close ticket 4711';
    expect(JSON.parse(request.body)).toEqual({
      text: summary,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: summary } },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: `\`approval.request\` · <!date^1795245934^{date_short_pretty} {time}|2026-11-21T07:25:34.000Z> · for ${notification.recipient.email}`,
            },
          ],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in Warden' },
              url: LINK,
              action_id: 'warden-open',
            },
          ],
        },
      ],
    });
    const [row] = await rows();
    // The webhook path is Slack's secret: only its first segment is stored.
    expect(row).toMatchObject({
      channel: 'slack',
      status: 'delivered',
      url: slack.url.replace(/\/services\/.*/, '/services/…'),
      body: request.body,
    });
  });

  it('posts an event sent to several people once, and leaves the button out without a link', async () => {
    const queue = slackQueue();
    const collapseKey = 'approval.request:apr_01h0000000000000000000000';
    const copies = ['a', 'b', 'c'].map((who) =>
      sampleNotification(tenant(), {
        collapseKey,
        summary: 'support-bot asks to refund $700',
        recipient: { humanId: `usr_${who}`, email: `${who}@example.test` },
      }),
    );
    for (const copy of copies) await queue.notifier('slack').notify(copy);
    await queue.notifier('slack').notify(sampleNotification(tenant(), { collapseKey: 'another-event' }));
    // The same key in another tenant is another event.
    await queue
      .notifier('slack')
      .notify(sampleNotification('ten_01h0000000000000000000001', { collapseKey }));
    await queue.idle();
    expect(slack.received).toHaveLength(3);
    const first = JSON.parse(slack.received[0]?.body ?? '{}');
    expect(first.text).toBe('support-bot asks to refund $700');
    // Collapsed: the message names no single recipient, and without a link it has no button.
    expect(first.blocks.map((b: { type: string }) => b.type)).toEqual(['section', 'context']);
    expect(first.blocks[1].elements[0].text).not.toContain('@example.test');
    expect((await rows()).map((r) => r.tenant_id).sort()).toEqual(
      [tenant(), tenant(), 'ten_01h0000000000000000000001'].sort(),
    );
  });

  it('retries a refusing Slack and dead-letters it like any delivery', async () => {
    const queue = slackQueue(2);
    queue.start();
    slack.answer = () => ({ status: 400, body: 'invalid_blocks' });
    const id = await queue.enqueue('slack', sampleNotification(tenant()));
    await until(async () => (await rows())[0]?.status === 'dead');
    expect(slack.attemptsOf(id ?? '')).toEqual([1, 2]);
    expect((await rows())[0]?.last_error).toBe('HTTP 400: invalid_blocks');
  });

  it('chooses the channels from the configuration', async () => {
    const base = { webhookMaxAttempts: 3, webhookRetryBaseMs: 10 } as const;
    const none = notifications({
      ...base,
      webhookUrl: undefined,
      webhookSecret: undefined,
      slackWebhookUrl: undefined,
    });
    expect(none.notifier).toBeInstanceOf(LogNotifier);
    expect(none.queue.channelNames).toEqual([]);

    const onlyWebhook = notifications({
      ...base,
      webhookUrl: webhook.url,
      webhookSecret: SECRET,
      slackWebhookUrl: undefined,
    });
    expect(onlyWebhook.queue.channelNames).toEqual(['webhook']);
    const onlySlack = notifications({
      ...base,
      webhookUrl: undefined,
      webhookSecret: undefined,
      slackWebhookUrl: slack.url,
    });
    expect(onlySlack.queue.channelNames).toEqual(['slack']);

    const both = notifications({
      ...base,
      webhookUrl: webhook.url,
      webhookSecret: SECRET,
      slackWebhookUrl: slack.url,
    });
    expect(both.notifier).toBeInstanceOf(FanoutNotifier);
    both.queue.start();
    await both.notifier.notify(sampleNotification(tenant(), { link: LINK }));
    await both.queue.idle();
    expect(slack.received).toHaveLength(1);
    expect(webhook.received).toHaveLength(1);
    const signed = webhook.received[0];
    expect(verifySignature(signed?.headers[SIGNATURE_HEADER], signed?.body ?? '', SECRET)).toBe(true);
    expect(JSON.parse(signed?.body ?? '{}').link).toBe(LINK);
    expect((await rows()).map((r) => r.channel).sort()).toEqual(['slack', 'webhook']);
  });

  it('logs notifications when no channel is configured', async () => {
    const { log, lines } = recordingLogger();
    const created = createNotifier({
      config: {
        webhookMaxAttempts: 3,
        webhookRetryBaseMs: 10,
        webhookUrl: undefined,
        webhookSecret: undefined,
        slackWebhookUrl: undefined,
      },
      storage: t.node.storage,
      log,
    });
    const notification = sampleNotification(tenant());
    await created.notifier.notify(notification);
    expect(lines.at(-1)).toMatchObject({ msg: 'notification', summary: notification.summary });
    expect(await rows()).toEqual([]);
  });
});

describe('FanoutNotifier', () => {
  it('reaches every channel even when one fails, and does not throw', async () => {
    const { log, lines } = recordingLogger();
    const reached: string[] = [];
    const fanout = new FanoutNotifier(
      [
        { notify: async () => void reached.push('first') },
        {
          notify: async () => {
            throw new Error('channel down');
          },
        },
        { notify: async () => void reached.push('third') },
      ],
      log,
    );
    await expect(fanout.notify(sampleNotification('ten_x'))).resolves.toBeUndefined();
    expect(reached).toEqual(['first', 'third']);
    expect(lines.at(-1)).toMatchObject({ msg: 'notification channel failed', type: 'approval.request' });
  });
});
