import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A page whose problems fail the test: an uncaught error, or anything the Content-Security-Policy
 * refused (the console must run under script-src 'self' with no inline script).
 */
export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly problems: string[];
}

export async function newWatchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  return { page, context, problems };
}

/** Waits until no Mantine loader is on screen (every query of the page answered). */
export async function settled(page: Page): Promise<void> {
  // Polled from here: the page's CSP (no 'unsafe-eval') refuses the string predicates of waitForFunction.
  const loaders = page.locator('[class*="Loader-root"]');
  const deadline = Date.now() + 30_000;
  while ((await loaders.count()) > 0) {
    if (Date.now() > deadline) throw new Error('the page kept loading for 30 s');
    await page.waitForTimeout(50);
  }
}

/** Waits for the page's title (its level-2 heading) and for everything on it to load. */
export async function heading(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { level: 2, name }).waitFor({ timeout: 30_000 });
  await settled(page);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core on the page as it is now: the serious and critical violations, described. The script is
 * evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations)`,
  )) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
}

const SCREENSHOTS = join(import.meta.dirname, '../../../../docs/console');

/** Screenshots for docs/console.md, only when WARDEN_SCREENSHOTS=1 (CI leaves the tracked images alone). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.WARDEN_SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
