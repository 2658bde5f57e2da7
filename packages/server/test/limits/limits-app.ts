import type { LightMyRequestResponse } from 'fastify';
import { Authenticator } from '../../src/credentials/authenticator.js';
import { type App, createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
import { RateLimitCache } from '../../src/limits/rate-limit-cache.js';
import { type RateLimitDeps, RateLimitService } from '../../src/limits/rate-limit-service.js';
import { registerRateLimitRoutes } from '../../src/limits/routes/register.js';
import type { WardenNode } from '../../src/main.js';
import type { Method } from '../helpers/api.js';

/**
 * The rate-limit routes on an app of their own, sharing a test node's storage, audit log and signals,
 * so these tests hold whether or not the composition root registers the routes yet.
 */
export interface LimitsApp {
  readonly app: App;
  readonly deps: RateLimitDeps;
  readonly service: RateLimitService;
  readonly cache: RateLimitCache;
  call(method: Method, url: string, token?: string, payload?: object): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function limitsApp(node: WardenNode): Promise<LimitsApp> {
  const authenticator = new Authenticator(node.storage, node.signals, node.lastUsed, 60_000);
  const app = await createApp({ logger: createLogger('silent'), authenticator, version: 'test' });
  const deps: RateLimitDeps = {
    storage: node.storage,
    audit: node.audit,
    signals: node.signals,
    clock: Date.now,
  };
  const service = new RateLimitService(deps);
  registerRateLimitRoutes(app, service);
  await app.ready();
  return {
    app,
    deps,
    service,
    cache: new RateLimitCache(node.storage, node.signals, 60_000, Date.now),
    call: (method, url, token, payload) =>
      app.inject({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(payload ? { payload } : {}),
      }),
    close: () => app.close(),
  };
}
