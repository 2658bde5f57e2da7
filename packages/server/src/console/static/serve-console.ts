import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { notBuiltPage } from './not-built-page.js';
import { consoleHeaders } from './security-headers.js';

/** Paths the API owns: a GET there that no route matched is the API's JSON 404, never the page. */
const API_PREFIXES = ['/v1', '/llm', '/mcp', '/metrics', '/healthz', '/readyz', '/openapi.json'];

/** Vite names every asset by its content's hash, so a browser may keep it for good. */
const ASSETS_CACHE = 'public, max-age=31536000, immutable';

const PUBLIC = { kind: 'public' } as const;

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * The built console at `/`: `/assets/*` with a long cache, a file at the top of the build (an
 * icon) as itself, and `index.html` for any other GET outside the API (the app routes in the
 * browser: /agents/agt_…, /approvals, …), never cached so a new build is picked up at once.
 * Without a build, `/` and the app's paths answer a page saying how to make one.
 */
export async function registerConsolePages(app: App, dir: string | undefined): Promise<void> {
  if (dir !== undefined) {
    // Only reply.sendFile, on the routes below (which declare who may call them); no routes of its own.
    await app.register(fastifyStatic, { root: dir, serve: false, dotfiles: 'deny', index: false });
  }
  const built = () => dir !== undefined && existsSync(join(dir, 'index.html'));

  const sendPage = (reply: FastifyReply) => {
    consoleHeaders(reply, true);
    reply.header('cache-control', 'no-cache');
    if (!built() || dir === undefined) {
      return reply.type('text/html; charset=utf-8').send(notBuiltPage(dir));
    }
    return reply.sendFile('index.html', dir, { cacheControl: false });
  };

  app.get('/assets/*', { config: { auth: PUBLIC }, schema: { hide: true } }, async (request, reply) => {
    if (dir === undefined) throw new WardenError('not_found', `no file ${request.url.split('?')[0]}`);
    const file = (request.params as { '*': string })['*'];
    consoleHeaders(reply, false);
    reply.header('cache-control', ASSETS_CACHE);
    return reply.sendFile(`assets/${file}`, dir, { cacheControl: false });
  });

  app.get('/*', { config: { auth: PUBLIC }, schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (isApiPath(path)) throw new WardenError('not_found', `no route GET ${path}`);
    const name = path.slice(1);
    if (dir !== undefined && isTopLevelFile(dir, name)) {
      consoleHeaders(reply, name.endsWith('.html'));
      reply.header('cache-control', 'no-cache');
      return reply.sendFile(name, dir, { cacheControl: false });
    }
    return sendPage(reply);
  });
}

/** A file directly in the build (favicon.svg, robots.txt), not index.html and not a folder. */
function isTopLevelFile(dir: string, name: string): boolean {
  if (name === '' || name === 'index.html' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return false;
  try {
    return statSync(join(dir, name)).isFile();
  } catch {
    return false;
  }
}
