import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../server/test/helpers/api.js';
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

// The console as people use it: Debian's Chromium driven by playwright-core against a real node
// (SQLite, listening on loopback, serving the built console with its CSP), signed in with one-time
// links. CI installs Chromium (.ci/run); without it these tests are skipped, saying so.
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const SLOW = 120_000;

describe.skipIf(!haveChromium)('the console in Chromium against a real node', () => {
  let node: ConsoleNode;
  let browser: Browser;
  const pages: WatchedPage[] = [];

  async function signedIn(humanId: string): Promise<WatchedPage> {
    const watched = await newWatchedPage(browser);
    pages.push(watched);
    await watched.page.goto(await node.signInLink(humanId));
    await watched.page.getByTestId('signed-in-as').waitFor({ timeout: 30_000 });
    // The code was in the fragment and is gone from the address bar once used.
    expect(watched.page.url()).not.toContain('code=');
    return watched;
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
    'shows the sign-in page, never data, to a forged session, and signs in with a pasted token',
    async () => {
      const watched = await newWatchedPage(browser);
      pages.push(watched);
      const { page, context } = watched;
      await context.addCookies([{ name: 'warden_session', value: 'forged', url: node.url }]);
      await page.goto(`${node.url}/agents`);
      await page.getByRole('heading', { name: 'Sign in to Warden' }).waitFor();
      expect(await page.getByText('support-assistant').count()).toBe(0);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'sign-in');

      await page.getByLabel('API token').fill('wdn_u_not-a-real-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('That token is not valid.').waitFor();

      await page.getByLabel('API token').fill(node.t.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Signed in where they meant to go.
      await heading(page, 'Agents');
      await page.getByRole('link', { name: 'support-assistant' }).waitFor();
    },
    SLOW,
  );

  it(
    'lets the admin sign in with a link, shows every page without serious accessibility violations, and signs out',
    async () => {
      const { page } = await signedIn(node.adminId);
      const agent = node.agents['support-assistant']?.id ?? '';
      // Some traffic, so the pages have something to show.
      await node.decide('support-assistant', {
        tool: 'payments.refund',
        args: { amount: 40 },
        context: { taskId: 'ticket-1' },
      });
      await node.decide('support-assistant', {
        tool: 'crm.contacts.delete',
        args: { id: 'c1' },
        context: { taskId: 'ticket-2' },
      });
      const visits: Array<[string, string, string]> = [
        ['/', 'Overview', 'overview'],
        ['/agents', 'Agents', 'agents'],
        [`/agents/${agent}`, 'support-assistant', 'agent'],
        ['/approvals', 'Approvals', 'approvals'],
        ['/budgets', 'Budgets and spend', 'budgets'],
        ['/policies', 'Policies', 'policies'],
        ['/incidents', 'Incidents and kill switch', 'incidents'],
      ];
      for (const [path, title, shot] of visits) {
        await page.goto(`${node.url}${path}`);
        await heading(page, title);
        expect(await seriousA11yViolations(page), path).toEqual([]);
        await screenshot(page, shot);
      }
      // "What can this agent do?" answers from the active policies, with the rules' owners.
      await page.goto(`${node.url}/agents/${agent}`);
      await heading(page, 'support-assistant');
      const capabilities = page.getByRole('region', { name: 'What can this agent do?' });
      await capabilities.getByText('payments.refund').first().waitFor();
      expect(await capabilities.getByText(/maria\.lopez@example\.com/).count()).toBeGreaterThan(0);

      // A budget opens onto its usage over time and projection.
      await page.goto(`${node.url}/budgets`);
      await heading(page, 'Budgets and spend');
      await page.getByRole('button', { name: /monitored-daily-usd/ }).click();
      await page.getByTestId('projection').waitFor();
      await settled(page);
      expect(await seriousA11yViolations(page)).toEqual([]);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Warden' }).waitFor();
      await page.goto(`${node.url}/`);
      await page.getByRole('heading', { name: 'Sign in to Warden' }).waitFor();
    },
    SLOW,
  );

  it(
    'sends a human whose session was revoked back to the sign-in page',
    async () => {
      const { page } = await signedIn(node.adminId);
      const sessionId = await page.evaluate(async () => {
        const answer = await fetch('/v1/console/session', { credentials: 'same-origin' });
        return ((await answer.json()) as { session: { id: string } }).session.id;
      });
      const revoked = await request(
        node.t.node,
        'DELETE',
        `/v1/console/sessions/${sessionId}`,
        node.t.adminToken,
      );
      expect(revoked.statusCode).toBeLessThan(300);
      await page.getByRole('link', { name: 'Policies' }).click();
      await page
        .getByText('Your session expired or was revoked. Sign in again.')
        .waitFor({ timeout: 30_000 });
    },
    SLOW,
  );

  it(
    'shows an approver the held call live, with its full context, and releases the waiting agent when approved',
    async () => {
      const { page } = await signedIn(node.lena.id);
      await page.getByRole('link', { name: 'Approvals' }).click();
      await heading(page, 'Approvals');
      await page.getByText('Nothing waits for you.').waitFor();

      const held = await node.decide('support-assistant', {
        tool: 'payments.refund',
        args: { amount: 700 },
        context: { taskId: 'ticket-4711' },
      });
      expect(held.effect).toBe('review');
      const approvalId = held.approvalRequest?.id ?? '';
      const key = node.agents['support-assistant']?.key;
      // The agent waits for a human, as the SDK does.
      const released = fetch(`${node.url}/v1/approvals/${approvalId}/wait?timeoutSeconds=60`, {
        headers: { authorization: `Bearer ${key}` },
      }).then((res) => res.json() as Promise<{ approval: { status: string }; timedOut: boolean }>);

      // No reload: the approval stream brings it in.
      await page.getByText('1 request waits for you.').waitFor({ timeout: 30_000 });
      await page.getByRole('link', { name: 'payments.refund' }).first().click();
      await heading(page, 'support-assistant wants to call payments.refund');
      await page.getByText('support-refund-over-500-review').first().waitFor();
      await page.getByText(/May decide now: Lena Fischer/).waitFor();
      await page.getByTestId('deadline').waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'approval');

      await page.getByLabel('Comment').fill('Order checked, refund is due');
      await page.getByRole('button', { name: 'Approve' }).click();
      await page
        .getByTestId('already-decided')
        .getByText(/approved by Lena Fischer/)
        .waitFor({ timeout: 30_000 });

      const answer = await released;
      expect(answer.timedOut).toBe(false);
      expect(answer.approval.status).toBe('approved');
      const retried = await node.decide('support-assistant', {
        tool: 'payments.refund',
        args: { amount: 700 },
        context: { taskId: 'ticket-4711' },
        approvalId,
      });
      expect(retried.effect).toBe('allow');
      const outcome = await fetch(`${node.url}/v1/decisions/${retried.decisionId}/outcome`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'succeeded', costUsd: 0.02 }),
      });
      expect(outcome.status).toBe(200);

      // A request someone settles elsewhere (here through the API) shows as already decided, live.
      const second = await node.decide('support-assistant', {
        tool: 'payments.refund',
        args: { amount: 800 },
        context: { taskId: 'ticket-4712' },
      });
      const secondId = second.approvalRequest?.id ?? '';
      await page.goto(`${node.url}/approvals/${secondId}`);
      await page.getByRole('button', { name: 'Deny' }).waitFor();
      const denied = await request(node.t.node, 'POST', `/v1/approvals/${secondId}/deny`, node.lena.token, {
        comment: 'decided from the CLI',
      });
      expect(denied.statusCode).toBe(200);
      await page
        .getByTestId('already-decided')
        .getByText(/denied by Lena Fischer/)
        .waitFor({ timeout: 30_000 });
      expect(await page.getByRole('button', { name: 'Deny' }).count()).toBe(0);

      await page.goto(`${node.url}/approvals`);
      await heading(page, 'Approvals');
      await page.getByRole('tab', { name: 'History' }).click();
      await page.getByTestId('approval-row').first().waitFor();
      await screenshot(page, 'approvals-history');

      // An approver reads no audit log: the navigation does not offer it and the page says so.
      expect(
        await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Audit' }).count(),
      ).toBe(0);
      await page.goto(`${node.url}/audit`);
      await page.getByText('No access to the audit log').waitFor({ timeout: 30_000 });
    },
    SLOW,
  );

  it(
    'suspends an agent behind a confirmation, after which its next call is denied; shows a field error where the field is',
    async () => {
      const { page } = await signedIn(node.adminId);
      const agent = node.agents['code-review-bot'];
      const before = await node.decide('code-review-bot', { tool: 'github.repos.read', args: {} });
      expect(before.effect).toBe('allow');

      await page.goto(`${node.url}/agents/${agent?.id}`);
      await heading(page, 'code-review-bot');

      // The API's field error, under the field it names.
      await page.getByRole('button', { name: 'Rotate keys' }).click();
      const rotate = page.getByRole('dialog', { name: "Rotate the agent's keys?" });
      await rotate.getByLabel(/Overlap in seconds/).fill('-5');
      await rotate.getByRole('button', { name: 'Rotate keys' }).click();
      await rotate.locator('[aria-invalid="true"]').waitFor({ timeout: 30_000 });
      await rotate.getByRole('button', { name: 'Cancel' }).click();

      await page.getByRole('button', { name: 'Suspend' }).click();
      const dialog = page.getByRole('dialog', { name: 'Suspend code-review-bot?' });
      await dialog.getByLabel('Reason').fill('Commenting on the wrong repository');
      await dialog.getByRole('button', { name: 'Suspend' }).click();
      await page.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 30_000 });
      await screenshot(page, 'agent-suspended');

      const after = await node.decide('code-review-bot', { tool: 'github.repos.read', args: {} });
      expect(after.effect).toBe('deny');
    },
    SLOW,
  );

  it(
    'finds the refund in the audit log as one readable story, verifies its proof in the browser, and shows the task',
    async () => {
      const { page } = await signedIn(node.adminId);
      await page.getByRole('link', { name: 'Audit' }).click();
      await heading(page, 'Audit');
      await page.getByLabel('Tool').fill('payments.refund');
      await page.getByRole('button', { name: 'Search' }).click();
      const story = page.getByRole('button', {
        name: 'support-assistant asked to refund $700 (payments.refund) → review by support-leads → approved by Lena Fischer → succeeded',
      });
      await story.waitFor({ timeout: 30_000 });
      await story.click();
      await page
        .getByRole('button', { name: /Verify proof/ })
        .first()
        .click();
      const badge = page.getByTestId('proof-verified').first();
      await badge.waitFor({ timeout: 30_000 });
      // Chromium's WebCrypto verifies Ed25519, so the checkpoint's signature is checked too.
      expect(await badge.innerText()).toMatch(/verified/i);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'audit');

      await page.getByRole('link', { name: 'ticket-4711' }).first().click();
      await heading(page, 'Task ticket-4711');
      await page.getByText('approved by a human').waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'task-trace');
    },
    SLOW,
  );

  it(
    'lets an auditor read everything and act on nothing',
    async () => {
      const { page } = await signedIn(node.auditor.id);
      const nav = page.getByRole('navigation', { name: 'Pages' });
      await nav.getByRole('link', { name: 'Audit' }).waitFor();
      await page.goto(`${node.url}/agents/${node.agents['deploy-agent']?.id}`);
      await heading(page, 'deploy-agent');
      for (const action of ['Suspend', 'Kill', 'Retire', 'Issue key', 'Rotate keys'])
        expect(await page.getByRole('button', { name: action }).count(), action).toBe(0);
      await page.goto(`${node.url}/incidents`);
      await heading(page, 'Incidents and kill switch');
      expect(await page.getByRole('button', { name: 'Freeze the tenant' }).count()).toBe(0);

      const held = await node.decide('support-assistant', { tool: 'payments.refund', args: { amount: 900 } });
      await page.goto(`${node.url}/approvals/${held.approvalRequest?.id}`);
      await page.getByText('You are not among those who may decide this step.').waitFor({ timeout: 30_000 });
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    },
    SLOW,
  );
});
