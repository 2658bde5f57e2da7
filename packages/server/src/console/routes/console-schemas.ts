import { Type } from 'typebox';
import { WardenError } from '../../errors.js';
import type { RouteAuth } from '../../http/auth.js';
import { IdOf, IsoTime, NullableIsoTime, toIso } from '../../http/schemas.js';
import type { Storage } from '../../storage/database.js';
import type { HumanService } from '../../tenants/human-service.js';
import { humanJson, tenantJson } from '../../tenants/json.js';
import { HumanSchema, TenantSchema } from '../../tenants/schemas.js';
import { findTenantById } from '../../tenants/tenant-service.js';
import type { ConsoleSessions } from '../console-sessions.js';
import type { ConsoleSession } from '../session-store.js';

export interface ConsoleRouteServices {
  readonly storage: Storage;
  readonly sessions: ConsoleSessions;
  readonly humans: HumanService;
  /** WARDEN_PUBLIC_URL is https: cookies are Secure even when TLS ends at a proxy. */
  readonly httpsPublicUrl: boolean;
}

export const ANY_HUMAN: RouteAuth = { kind: 'human' };
export const SESSION_ONLY: RouteAuth = { kind: 'session' };

export const SessionSchema = Type.Object({
  id: IdOf('ses'),
  humanId: IdOf('usr'),
  method: Type.String({ description: 'How the human signed in: token or code' }),
  createdAt: IsoTime,
  lastUsedAt: IsoTime,
  expiresAt: Type.String({
    format: 'date-time',
    description: 'The absolute end; an idle session ends sooner',
  }),
  revokedAt: NullableIsoTime,
  userAgent: Type.Union([Type.String(), Type.Null()]),
});

export function sessionJson(session: ConsoleSession) {
  return {
    id: session.id,
    humanId: session.humanId,
    method: session.method,
    createdAt: toIso(session.createdAt),
    lastUsedAt: toIso(session.lastUsedAt),
    expiresAt: toIso(session.expiresAt),
    revokedAt: toIso(session.revokedAt),
    userAgent: session.userAgent,
  };
}

/** What sign-in and GET /v1/console/session answer: the session, its CSRF token, who and where. */
export const SignedInSchema = Type.Object({
  session: SessionSchema,
  csrfToken: Type.String({
    description: 'Send it as X-Warden-CSRF with every change; keep it in memory only',
  }),
  human: HumanSchema,
  tenant: TenantSchema,
});

export async function signedInJson(
  services: ConsoleRouteServices,
  session: ConsoleSession,
  csrfToken: string,
) {
  const human = await services.humans.get(session.tenantId, session.humanId);
  const tenant = await findTenantById(services.storage, session.tenantId);
  if (!tenant) throw new WardenError('internal', `tenant ${session.tenantId} of a session is missing`);
  return { session: sessionJson(session), csrfToken, human: humanJson(human), tenant: tenantJson(tenant) };
}
