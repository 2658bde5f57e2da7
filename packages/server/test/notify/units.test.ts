import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, retryDelay } from '../../src/notify/backoff.js';
import { displayUrl } from '../../src/notify/delivery.js';
import { linkTo } from '../../src/notify/notifier.js';
import { RecentKeys } from '../../src/notify/recent-keys.js';
import { slackMessage } from '../../src/notify/slack-message.js';
import { sampleNotification } from './receiver.js';

describe('retryDelay', () => {
  it('doubles from the base, within ±20 % jitter', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 1_000, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelay(3, 1_000, () => 0)).toBe(3_200);
    expect(retryDelay(3, 1_000, () => 0.999_999)).toBe(4_800);
    for (let i = 0; i < 1_000; i++) {
      const delay = retryDelay(2, 100);
      expect(delay).toBeGreaterThanOrEqual(160);
      expect(delay).toBeLessThanOrEqual(240);
    }
  });

  it('never waits more than ten minutes', () => {
    expect(retryDelay(20, 1_000, () => 0.999)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelay(50, 3_600_000, () => 0)).toBe(MAX_RETRY_DELAY_MS * 0.8);
    expect(MAX_RETRY_DELAY_MS).toBe(600_000);
  });
});

describe('displayUrl', () => {
  it('drops credentials, query and fragment, and secret path segments when asked', () => {
    expect(displayUrl('https://user:pass@hooks.example.com:8443/a/b?token=x#y')).toBe(
      'https://hooks.example.com:8443/a/b',
    );
    expect(displayUrl('https://hooks.slack.com/services/T0/B0/XXXX', 1)).toBe(
      'https://hooks.slack.com/services/…',
    );
    expect(displayUrl('https://hooks.slack.com/services', 1)).toBe('https://hooks.slack.com/services');
  });
});

describe('linkTo', () => {
  it('joins the public URL and a path, or gives nothing without a public URL', () => {
    expect(linkTo('https://warden.example.com/', '/v1/approvals/apr_1')).toBe(
      'https://warden.example.com/v1/approvals/apr_1',
    );
    expect(linkTo('https://example.com/warden', 'v1/approvals/apr_1')).toBe(
      'https://example.com/warden/v1/approvals/apr_1',
    );
    expect(linkTo(undefined, '/v1/approvals/apr_1')).toBeUndefined();
  });
});

describe('RecentKeys', () => {
  it('recognises repeats and forgets the oldest beyond its capacity', () => {
    const keys = new RecentKeys(2);
    expect([keys.add('a'), keys.add('a'), keys.add('b'), keys.add('c')]).toEqual([true, false, true, true]);
    expect(keys.add('a')).toBe(true);
    expect(keys.add('c')).toBe(false);
  });
});

describe('slackMessage', () => {
  it('keeps within Block Kit limits', () => {
    const long = sampleNotification('ten_x', {
      summary: 'x'.repeat(5_000),
      link: `https://w.example/${'a'.repeat(3_000)}`,
    });
    const message = slackMessage(long);
    const section = message.blocks[0];
    expect(section?.type === 'section' && section.text.text.length).toBe(3_000);
    // A link Slack would refuse is left out rather than failing the whole message.
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'context']);
  });
});
