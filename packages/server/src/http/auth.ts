import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../credentials/authenticator.js';
import type { AgentPrincipal, HumanPrincipal, Principal } from '../credentials/principal.js';
import { secretKind } from '../credentials/secrets.js';
import { WardenError } from '../errors.js';
import { type HumanRole, hasAnyRole } from '../tenants/roles.js';

/**
 * Who may call a route. Every route must say; `public` is for health checks and the API document.
 * `roles` narrows a human route (admin always passes).
 */
export type RouteAuth =
  | { kind: 'public' }
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

/** The onRequest hook: authenticates before the body is even parsed. */
export function authenticateRequest(authenticator: Authenticator) {
  return async (request: FastifyRequest): Promise<void> => {
    const auth = request.routeOptions.config.auth;
    // Every registered route declares `auth` (enforced when routes are added); only the not-found
    // handler has none, and it reveals nothing.
    if (!auth || auth.kind === 'public' || auth.kind === 'metrics') return;
    const secret = bearer(request);
    if (auth.kind === 'human' && auth.decides && secret && secretKind(secret) === 'agent') {
      throw new WardenError('separation_of_duties', 'agents never approve or deny: a human decides');
    }
    const principal = await authenticator.authenticate(secret, auth.kind);
    if (
      auth.kind === 'human' &&
      auth.roles &&
      principal.kind === 'human' &&
      !hasAnyRole(principal.roles, auth.roles)
    ) {
      throw new WardenError(
        'forbidden',
        `this needs one of the roles: ${[...new Set(['admin', ...auth.roles])].join(', ')}`,
      );
    }
    request.principal = principal;
  };
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
