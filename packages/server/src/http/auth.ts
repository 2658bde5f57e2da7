import type { FastifyRequest } from 'fastify';
import { CSRF_HEADER, csrfMatches, SESSION_COOKIE } from '../console/console-secrets.js';
import type { SessionAuthenticator } from '../console/session-authenticator.js';
import type { Authenticator } from '../credentials/authenticator.js';
import type { AgentPrincipal, HumanPrincipal, Principal } from '../credentials/principal.js';
import { secretKind } from '../credentials/secrets.js';
import { WardenError } from '../errors.js';
import { type HumanRole, hasAnyRole } from '../tenants/roles.js';

/**
 * Who may call a route. Every route must say; `public` is for health checks and the API document.
 * `roles` narrows a human route (admin always passes). A human route takes a human token, or the
 * web console's session cookie; `session` routes (the console's own session) take the cookie only;
 * agent routes never take a cookie.
 */
export type RouteAuth =
  | { kind: 'public' }
  /** The console's session cookie only: the session itself (read it, sign out). */
  | { kind: 'session' }
  /** GET /metrics: loopback only, or the metrics token when one is configured (checked by the route). */
  | { kind: 'metrics' }
  | { kind: 'agent' }
  | {
      kind: 'human';
      roles?: readonly HumanRole[];
      /** A human decides here (approve, deny): an agent key is refused as `separation_of_duties`. */
      decides?: boolean;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * The credential of a request: `Authorization: Bearer …`, or `x-api-key`, the header Anthropic's
 * clients send their key in (so an agent points one at the LLM proxy with its Warden key as is).
 */
export function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) {
    const apiKey = request.headers['x-api-key'];
    return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? header;
}

/** The console session's secret from the request's cookie, if it sent one. */
function sessionCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The onRequest hook: authenticates before the body is even parsed. An `Authorization` header wins
 * over a cookie (it is what the CLI and SDK send; a browser cannot add one cross-site). A request
 * authenticated by the cookie that would change something must carry the session's CSRF token.
 */
export function authenticateRequest(authenticator: Authenticator, sessions?: SessionAuthenticator) {
  return async (request: FastifyRequest): Promise<void> => {
    const auth = request.routeOptions.config.auth;
    // Every registered route declares `auth` (enforced when routes are added); only the not-found
    // handler has none, and it reveals nothing.
    if (!auth || auth.kind === 'public' || auth.kind === 'metrics') return;
    const secret = bearer(request);
    const cookie = sessions && (auth.kind === 'session' || !secret) ? sessionCookie(request) : undefined;
    if (auth.kind === 'agent' && cookie !== undefined) {
      throw new WardenError('forbidden', 'a console session cannot call agent routes: send the agent key');
    }
    if (auth.kind === 'session' || (auth.kind === 'human' && cookie !== undefined)) {
      if (!sessions) throw new WardenError('unauthenticated', 'the console is off on this node');
      const principal = await sessions.authenticate(cookie);
      if (!SAFE_METHODS.has(request.method) && !csrfMatches(cookie ?? '', csrfHeader(request))) {
        throw new WardenError(
          'csrf_required',
          'a change made with the console session needs its CSRF token in the X-Warden-CSRF header',
        );
      }
      request.principal = principal;
      if (auth.kind === 'human') checkRoles(auth, principal);
      return;
    }
    if (auth.kind === 'human' && auth.decides && secret && secretKind(secret) === 'agent') {
      throw new WardenError('separation_of_duties', 'agents never approve or deny: a human decides');
    }
    const principal = await authenticator.authenticate(secret, auth.kind);
    if (auth.kind === 'human' && principal.kind === 'human') checkRoles(auth, principal);
    request.principal = principal;
  };
}

function csrfHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[CSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
}

function checkRoles(auth: { roles?: readonly HumanRole[] }, principal: HumanPrincipal): void {
  if (auth.roles && !hasAnyRole(principal.roles, auth.roles)) {
    throw new WardenError(
      'forbidden',
      `this needs one of the roles: ${[...new Set(['admin', ...auth.roles])].join(', ')}`,
    );
  }
}

export function humanOf(request: FastifyRequest): HumanPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'human') throw new WardenError('internal', 'human route without a human principal');
  return principal;
}

export function agentOf(request: FastifyRequest): AgentPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'agent')
    throw new WardenError('internal', 'agent route without an agent principal');
  return principal;
}
