import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WardenError } from '../../errors.js';
import type { App } from '../../http/app.js';
import { notBuiltPage } from './not-built-page.js';
import { consoleHeaders } from './security-headers.js';

/** Paths the API owns: a GET there that no route matched is the API's JSON 404, never the page. */
const API_PREFIXES = ['/v1', '/llm', '/mcp', '/metrics', '/healthz', '/readyz', '/openapi.json'];

/** Vite names every asset by its content's hash, so a browser may keep it for good. */
const ASSETS_CACHE = 'public, max-age=31536000, immutable';

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * `/assets/*`: the built console's files, with a long cache; a missing one is a 404, never the
 * page. Registered as a route (it declares who may call it: anyone; the API behind is what is
 * protected).
 */
export async function registerConsoleAssets(app: App, dir: string | undefined): Promise<void> {
  // Only reply.sendFile (each call names the folder), for the route below and the page fallback:
  // no routes of its own, and no root checked now, so a console built after the start is served.
  await app.register(fastifyStatic, { serve: false, dotfiles: 'deny', index: false });
  app.get(
    '/assets/*',
    { config: { auth: { kind: 'public' } }, schema: { hide: true } },
    async (request, reply) => {
      if (dir === undefined) throw new WardenError('not_found', `no file ${request.url.split('?')[0]}`);
      const file = (request.params as { '*': string })['*'];
      consoleHeaders(reply, false);
      reply.header('cache-control', ASSETS_CACHE);
      return reply.sendFile(`assets/${file}`, dir, { cacheControl: false });
    },
  );
}

/**
 * The SPA fallback, for the not-found handler: a GET or HEAD that no route matched, outside the
 * API's paths, gets the console: a file at the top of the build (an icon) as itself, anything else
 * `index.html` (the app routes in the browser: /agents/agt_…, /approvals, …), never cached so a new
 * build is picked up at once. Without a build, a page saying how to make one. Answers whether it
 * replied; when it did not, the request is the API's 404.
 *
 * A fallback rather than a catch-all route, so every path the API owns keeps exactly the answers it
 * had (a 404, a 414 for an overlong id), whatever the console does.
 */
export function consolePageFallback(dir: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = request.url.split('?')[0] ?? '/';
    // A missing asset is a 404: a page in its place would be run as a script or a style.
    if (isApiPath(path) || path.startsWith('/assets/')) return false;
    const name = path.slice(1);
    reply.header('cache-control', 'no-cache');
    if (dir !== undefined && isTopLevelFile(dir, name)) {
      consoleHeaders(reply, name.endsWith('.html'));
      await reply.status(200).sendFile(name, dir, { cacheControl: false });
      return true;
    }
    consoleHeaders(reply, true);
    const index = dir === undefined ? undefined : join(dir, 'index.html');
    const page = index !== undefined && existsSync(index) ? await readFile(index, 'utf8') : notBuiltPage(dir);
    await reply.status(200).type('text/html; charset=utf-8').send(page);
    return true;
  };
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
