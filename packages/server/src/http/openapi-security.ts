import type { RouteOptions } from 'fastify';

/**
 * Declares each operation's security requirement in the API document from the `auth` the route
 * enforces, so the document cannot drift from what the server checks: public routes need none,
 * agent routes an agent key, human routes a human token or the console's
 * session cookie, session routes the cookie.
 */
export function openApiSecurity(route: RouteOptions): void {
  const auth = route.config?.auth;
  if (!auth) return;
  const security: Record<string, string[]>[] =
    auth.kind === 'public' || auth.kind === 'metrics'
      ? []
      : auth.kind === 'agent'
        ? [{ agentKey: [] }]
        : auth.kind === 'session'
          ? [{ consoleSession: [] }]
          : [{ humanToken: [] }, { consoleSession: [] }];
  route.schema = { ...route.schema, security };
}
