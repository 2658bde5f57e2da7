import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/console/static/security-headers.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { signIn } from './console-client.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-3f2a.js"></script></head></html>';

/** A built console as Vite lays it out: index.html, hashed assets, an icon at the top. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-console-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-3f2a.js'), 'console.log("warden")');
  writeFileSync(join(dir, 'assets', 'app-3f2a.css'), 'body{}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, '.env'), 'SECRET=1');
  return dir;
}

describe('the console served by the node', () => {
  let t: TestNode;
  let dist: string;
  beforeAll(async () => {
    dist = fakeBuild();
    t = await startTestNode('sqlite', { settings: { consoleDir: dist } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (url: string) => t.node.app.inject({ method: 'GET', url });

  it('answers index.html at / with the CSP and security headers, never cached', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it("answers index.html for the app's own paths (SPA fallback)", async () => {
    for (const url of ['/agents/agt_x', '/approvals', '/sign-in', '/audit?agent=x', '/agents/']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['content-security-policy'], url).toBe(CONSOLE_CSP);
    }
  });

  it('answers assets with a year-long immutable cache and their type', async () => {
    const js = await get('/assets/app-3f2a.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/assets/app-3f2a.css')).headers['content-type']).toMatch(/^text\/css/);
    const icon = await get('/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg/);
  });

  it('answers 404 for a missing asset, never index.html, and serves no dotfile or path outside the build', async () => {
    const missing = await get('/assets/gone-1234.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).not.toContain('<html');
    for (const url of ['/assets/../.env', '/assets/%2e%2e/.env', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await get(url);
      expect(res.body, url).not.toContain('SECRET');
      expect(res.body, url).not.toContain('root:');
    }
    expect((await get('/.env')).body).toBe(INDEX);
  });

  it("keeps the API's JSON 404 under /v1, /llm, /mcp and the rest", async () => {
    for (const url of [
      '/v1',
      '/v1/nothing-here',
      '/v1/agents/agt_x/nope',
      '/llm/nothing',
      '/mcp/x/y',
      '/healthz/x',
      '/metrics/x',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('not_found');
    }
    expect((await t.node.app.inject({ method: 'POST', url: '/agents' })).json().error.code).toBe('not_found');
    const overlong = await get(`/v1/agents/agt_${'a'.repeat(1_000)}`);
    expect(overlong.statusCode).toBe(414);
    expect(overlong.json().error.code).toBe('uri_too_long');
  });

  it('signs in and reads the session from the same origin', async () => {
    const browser = await signIn(t.node, { token: t.adminToken });
    const res = await t.node.app.inject({
      method: 'GET',
      url: '/v1/console/session',
      headers: { cookie: `warden_session=${browser.cookie}` },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('the console when it is not built', () => {
  let t: TestNode;
  let empty: string;
  beforeAll(async () => {
    empty = mkdtempSync(join(tmpdir(), 'warden-console-empty-'));
    t = await startTestNode('sqlite', { settings: { consoleDir: empty } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers / and the app paths with a page saying to build it', async () => {
    for (const url of ['/', '/agents/agt_x']) {
      const res = await t.node.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('npm run build');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
    // Built while the node runs: picked up at once.
    writeFileSync(join(empty, 'index.html'), INDEX);
    mkdirSync(join(empty, 'assets'));
    writeFileSync(join(empty, 'assets', 'app-3f2a.js'), 'console.log("warden")');
    expect((await t.node.app.inject({ method: 'GET', url: '/' })).body).toBe(INDEX);
    expect((await t.node.app.inject({ method: 'GET', url: '/assets/app-3f2a.js' })).statusCode).toBe(200);
  });
});

describe('WARDEN_CONSOLE=off', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode('sqlite', { settings: { console: 'off' } });
  });
  afterAll(() => t?.close());

  it('serves no page and no sign-in, and ignores session cookies', async () => {
    const page = await t.node.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(404);
    expect(page.json().error.code).toBe('not_found');
    const signInAttempt = await t.node.app.inject({
      method: 'POST',
      url: '/v1/console/sign-in',
      payload: { token: t.adminToken },
    });
    expect(signInAttempt.statusCode).toBe(404);
    const me = await t.node.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { cookie: `warden_session=wdn_s_${'a'.repeat(43)}` },
    });
    expect(me.statusCode).toBe(401);
  });
});
