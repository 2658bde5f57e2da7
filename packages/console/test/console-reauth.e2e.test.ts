import { existsSync } from 'node:fs';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, request } from '../../server/test/helpers/api.js';
import {
  CHROMIUM,
  heading,
  launchChromium,
  newWatchedPage,
  screenshot,
  seriousA11yViolations,
  settled,
  type WatchedPage,
} from './helpers/browser.js';
import { type ConsoleNode, startConsoleNode } from './helpers/console-node.js';

// Step-up re-authentication and trust tiers in the console, in Chromium against a real node with the
// demo tenant (whose policy asks the initiator of a refund over $1,000 to re-authenticate).
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const SLOW = 120_000;
const SECRET = 'correct horse battery staple';

/** The text a field is described by (its description and its error), as a screen reader reads it out. */
async function descriptionOf(field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => field.page().locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

interface ApprovalView {
  status: string;
  steps: { name: string; approvers: string[]; state: string }[];
  eligible: string[];
}

describe.skipIf(!haveChromium)('step-up re-authentication and trust in the console', () => {
  let node: ConsoleNode;
  let browser: Browser;
  const pages: WatchedPage[] = [];

  async function signedIn(humanId: string): Promise<WatchedPage> {
    const watched = await newWatchedPage(browser);
    pages.push(watched);
    await watched.page.goto(await node.signInLink(humanId));
    await watched.page.getByTestId('signed-in-as').waitFor({ timeout: 30_000 });
    return watched;
  }

  async function approvalOf(id: string): Promise<ApprovalView> {
    const res = await request(node.t.node, 'GET', `/v1/approvals/${id}`, node.t.adminToken);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ApprovalView;
  }

  /**
   * A refund over $1,000 that `initiatorEmail` started: the demo policy asks a support lead and the
   * re-authenticated initiator. Lena decides the support lead's part through the API, so the request
   * waits for the initiator's step. Returns the request's id.
   */
  async function refundWaitingForInitiator(initiatorEmail: string, taskId: string): Promise<string> {
    const held = await node.decide('support-assistant', {
      tool: 'payments.refund',
      args: { amount: 1500 },
      context: { taskId, initiator: initiatorEmail },
    });
    expect(held.effect).toBe('review');
    const id = held.approvalRequest?.id ?? '';
    for (let guard = 0; guard < 5; guard++) {
      const view = await approvalOf(id);
      const current = view.steps.find((step) => step.state === 'current');
      if (current?.approvers.includes('initiator+reauth')) return id;
      expect(view.eligible).toContain(node.lena.id);
      const voted = await request(node.t.node, 'POST', `/v1/approvals/${id}/approve`, node.lena.token, {
        comment: 'Lead checked the order',
      });
      expect(voted.statusCode, voted.body).toBe(200);
    }
    throw new Error(`approval ${id} never reached the initiator's re-authentication step`);
  }

  beforeAll(async () => {
    node = await startConsoleNode();
    browser = await launchChromium();
  }, SLOW);

  afterAll(async () => {
    for (const watched of pages) expect(watched.problems).toEqual([]);
    await browser?.close();
    await node?.close();
  }, SLOW);

  it(
    'lets the initiator set a secret, shows a wrong one under the field, approves with the right one, and the waiting agent goes on',
    async () => {
      const initiator = await addHuman(node.t.node, ['viewer']);
      const approvalId = await refundWaitingForInitiator(initiator.email, 'ticket-9001');
      const { page } = await signedIn(initiator.id);
      await page.goto(`${node.url}/approvals/${approvalId}`);
      await heading(page, 'support-assistant wants to call payments.refund');
      await page.getByText(/asks the initiator \(Person \d+\) to\s+re-authenticate/).waitFor();
      await page.getByTestId('reauth-note').waitFor();

      // No secret yet: the dialog offers to set one, and names the CLI command.
      await page.getByLabel('Comment').fill('Yes, I asked for this refund');
      await page.getByRole('button', { name: 'Approve' }).click();
      const dialog = page.getByRole('dialog', { name: 'Re-authenticate to approve' });
      await dialog.getByText('You have no re-authentication secret yet').waitFor({ timeout: 30_000 });
      await dialog.getByText('warden me reauth-secret').first().waitFor();
      // Too short for the API: its message appears under the field it names.
      await dialog.getByLabel('New re-authentication secret', { exact: true }).fill('short');
      await dialog.getByLabel('Repeat the secret', { exact: true }).fill('short');
      await dialog.getByRole('button', { name: 'Set secret' }).click();
      await dialog.getByText('must be at least 12 characters').waitFor({ timeout: 30_000 });
      const newSecret = dialog.getByLabel('New re-authentication secret', { exact: true });
      expect(await newSecret.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(newSecret)).toContain('must be at least 12 characters');
      await dialog.getByLabel('New re-authentication secret', { exact: true }).fill(SECRET);
      await dialog.getByLabel('Repeat the secret', { exact: true }).fill(SECRET);
      await dialog.getByRole('button', { name: 'Set secret' }).click();

      // A wrong secret: the API's message under the secret field; nothing is approved.
      const secretField = dialog.getByLabel('Re-authentication secret', { exact: true });
      await secretField.waitFor({ timeout: 30_000 });
      expect(await secretField.getAttribute('type')).toBe('password');
      await secretField.fill('not my secret at all');
      await dialog.getByRole('button', { name: 'Re-authenticate and approve' }).click();
      await dialog.getByText('the re-authentication secret is wrong').waitFor({ timeout: 30_000 });
      expect(await secretField.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(secretField)).toContain('the re-authentication secret is wrong');
      // The typed secret is not kept in the field after it was sent.
      expect(await secretField.inputValue()).toBe('');
      expect((await approvalOf(approvalId)).status).toBe('pending');
      expect(await seriousA11yViolations(page)).toEqual([]);
      // The whole page in the viewport, so the dialog's overlay covers all of the (full-page) screenshot.
      await page.setViewportSize({ width: 1280, height: 1120 });
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, 'approval-reauth');

      // The agent waits for the human, as the SDK does.
      const key = node.agents['support-assistant']?.key;
      const released = fetch(`${node.url}/v1/approvals/${approvalId}/wait?timeoutSeconds=60`, {
        headers: { authorization: `Bearer ${key}` },
      }).then((res) => res.json() as Promise<{ approval: { status: string }; timedOut: boolean }>);
      await secretField.fill(SECRET);
      await dialog.getByRole('button', { name: 'Re-authenticate and approve' }).click();
      await page
        .getByTestId('already-decided')
        .getByText(/approved by Person \d+/)
        .waitFor({ timeout: 30_000 });
      await page.getByText('Yes, I asked for this refund').first().waitFor();

      const answer = await released;
      expect(answer.timedOut).toBe(false);
      expect(answer.approval.status).toBe('approved');
      const retried = await node.decide('support-assistant', {
        tool: 'payments.refund',
        args: { amount: 1500 },
        context: { taskId: 'ticket-9001', initiator: initiator.email },
        approvalId,
      });
      expect(retried.effect).toBe('allow');

      // The vote's audit event names the proof that vouched for it.
      const events = await request(
        node.t.node,
        'GET',
        `/v1/audit/events?type=approval.*&limit=50&order=desc`,
        node.t.adminToken,
      );
      const vote = (
        events.json() as {
          events: { type: string; subject: { id: string }; payload: Record<string, unknown> }[];
        }
      ).events.find((e) => e.type === 'approval.approve' && e.subject.id === approvalId && e.payload.reauth);
      expect(vote?.payload.reauth).toMatchObject({ source: 'reauth_secret' });
    },
    SLOW,
  );

  it(
    'shows the lockout under the secret field after too many wrong secrets',
    async () => {
      const initiator = await addHuman(node.t.node, ['viewer']);
      const set = await request(node.t.node, 'PUT', '/v1/me/reauth-secret', initiator.token, {
        secret: SECRET,
      });
      expect(set.statusCode, set.body).toBe(200);
      const approvalId = await refundWaitingForInitiator(initiator.email, 'ticket-9002');
      for (let attempt = 0; attempt < 5; attempt++) {
        const wrong = await request(
          node.t.node,
          'POST',
          `/v1/approvals/${approvalId}/reauth`,
          initiator.token,
          {
            secret: `wrong secret ${attempt}`,
          },
        );
        expect(wrong.statusCode).toBe(403);
      }

      const { page } = await signedIn(initiator.id);
      await page.goto(`${node.url}/approvals/${approvalId}`);
      await heading(page, 'support-assistant wants to call payments.refund');
      await page.getByRole('button', { name: 'Approve' }).click();
      const dialog = page.getByRole('dialog', { name: 'Re-authenticate to approve' });
      const secretField = dialog.getByLabel('Re-authentication secret', { exact: true });
      await secretField.fill(SECRET);
      await dialog.getByRole('button', { name: 'Re-authenticate and approve' }).click();
      await dialog
        .getByText(/re-authentication is locked after 5 wrong secrets/)
        .waitFor({ timeout: 30_000 });
      expect(await secretField.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(secretField)).toMatch(/locked after 5 wrong secrets; try again after/);
      expect((await approvalOf(approvalId)).status).toBe('pending');

      // Denying needs no re-authentication.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('button', { name: 'Deny' }).click();
      await page
        .getByTestId('already-decided')
        .getByText(/denied by Person \d+/)
        .waitFor({ timeout: 30_000 });
    },
    SLOW,
  );

  it(
    "shows an agent's trust tier, each criterion with its figures, and what it still needs",
    async () => {
      const agent = node.agents['support-assistant']?.id ?? '';
      const standing = (
        await request(node.t.node, 'GET', `/v1/agents/${agent}/trust`, node.t.adminToken)
      ).json() as {
        tier: string;
        nextTier: string | null;
        criteria: { name: string; met: boolean; actual: string; needs: string | null }[];
      };
      expect(standing.nextTier).not.toBeNull();

      const { page } = await signedIn(node.adminId);
      await page.goto(`${node.url}/agents/${agent}`);
      await heading(page, 'support-assistant');
      const card = page.getByRole('region', { name: 'Trust' });
      await card.getByTestId('trust-criteria').waitFor({ timeout: 30_000 });
      await settled(page);
      expect(await card.getByTestId('trust-tier').textContent()).toBe(standing.tier);
      const met = standing.criteria.filter((c) => c.met).length;
      await card
        .getByText(`Meets ${met} of ${standing.criteria.length} criteria for ${standing.nextTier}`)
        .waitFor();
      const rows = card.getByTestId('trust-criteria').locator('tbody tr');
      expect(await rows.count()).toBe(standing.criteria.length);
      for (const [i, criterion] of standing.criteria.entries()) {
        const cells = await rows.nth(i).locator('td').allTextContents();
        expect(cells[1]).toBe(criterion.met ? '✓ met' : '✗ not met');
        expect(cells[3]).toBe(criterion.actual);
        expect(cells[4]).toBe(criterion.needs ?? '—');
      }
      expect(await seriousA11yViolations(page)).toEqual([]);
    },
    SLOW,
  );
});
