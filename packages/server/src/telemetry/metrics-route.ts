import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { WardenError } from '../errors.js';
import type { App } from '../http/app.js';
import { bearer } from '../http/auth.js';
import type { NodeMetrics } from './metrics.js';

/**
 * `GET /metrics`, the Prometheus text format. With a metrics token configured every scrape must
 * send it (`Authorization: Bearer <token>`), from anywhere; without one, only loopback may scrape.
 * Not in the API document: it is for Prometheus, not for API clients.
 */
export function registerMetricsRoute(app: App, metrics: NodeMetrics, token: string | undefined): void {
  const expected = token === undefined ? undefined : digest(token);
  app.get(
    '/metrics',
    {
      config: { auth: { kind: 'metrics' } },
      schema: { hide: true },
      onRequest: async (request) => allowScrape(request, expected),
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()),
  );
}

function allowScrape(request: FastifyRequest, expected: Buffer | undefined): void {
  if (expected) {
    const given = bearer(request);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      throw new WardenError(
        'unauthenticated',
        'scraping needs the metrics token (WARDEN_METRICS_TOKEN) as a bearer token',
      );
    }
    return;
  }
  if (!isLoopback(request.socket.remoteAddress)) {
    throw new WardenError(
      'forbidden',
      'metrics are served to loopback only; set WARDEN_METRICS_TOKEN to scrape from elsewhere',
    );
  }
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

const digest = (text: string) => createHash('sha256').update(text).digest();
