import { sql } from 'kysely';
import { Type } from 'typebox';
import type { PolicyRegistry } from '../policies/policy-registry.js';
import type { Storage } from '../storage/database.js';
import { WARDEN_VERSION } from '../version.js';
import type { App } from './app.js';

/** Liveness (the process answers) and readiness (the database answers and policies are loaded). */
export function registerHealthRoutes(
  app: App,
  deps: { storage: Storage; registry: PolicyRegistry; tenantId: string },
) {
  app.get(
    '/healthz',
    {
      config: { auth: { kind: 'public' } },
      schema: {
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, version: WARDEN_VERSION }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: { kind: 'public' } },
      schema: {
        tags: ['health'],
        response: {
          200: ReadySchema,
          503: ReadySchema,
        },
      },
    },
    async (request, reply) => {
      let database: 'ok' | 'unavailable' = 'ok';
      try {
        await sql`select 1`.execute(deps.storage.db);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: the database does not answer');
        database = 'unavailable';
      }
      const policyVersion = deps.registry.versionOf(deps.tenantId) ?? null;
      const ready = database === 'ok';
      return reply.status(ready ? 200 : 503).send({ ready, database, policyVersion });
    },
  );
}

const ReadySchema = Type.Object({
  ready: Type.Boolean(),
  database: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  policyVersion: Type.Union([Type.String(), Type.Null()]),
});
