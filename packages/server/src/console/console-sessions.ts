import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { forbidden, invalidField, notFound, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { isSelfOrAdmin } from '../tenants/human.js';
import { csrfTokenOf, newSessionSecret, newSignInCode } from './console-secrets.js';
import type { ConsoleSettings } from './console-settings.js';
import { type ConsoleSession, isLive, sessionFromRow } from './session-store.js';
import { SIGN_IN_METHODS, type SignInIdentity, type SignInMethod } from './sign-in-methods.js';

export interface ConsoleSessionDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly settings: ConsoleSettings;
  /** Where people reach this node (WARDEN_PUBLIC_URL, else the address it listens on). */
  readonly publicUrl: () => string;
  readonly clock: () => number;
  /** The ways of signing in (default: token and code). */
  readonly methods?: readonly SignInMethod[];
}

export interface SignedIn {
  readonly session: ConsoleSession;
  /** The cookie's value: returned here and never again, only its hash is stored. */
  readonly secret: string;
  readonly csrfToken: string;
}

export interface SignInLink {
  readonly humanId: string;
  readonly code: string;
  /** `<public url>/sign-in#code=…`: in the fragment, the code never reaches logs or referrers. */
  readonly url: string;
  readonly expiresAt: number;
}

const UNAUTHENTICATED = 'the sign-in is not valid: the token or code is unknown, expired, used or revoked';
const USER_AGENT_MAX = 200;
const SELF_OR_ADMIN = 'only an admin or the human themself may do this';

/**
 * Console sign-in: a human presents a token or a one-time code and gets a session (a cookie secret
 * and its CSRF token); sessions are listed, ended, and revoked. Every change is audited.
 */
export class ConsoleSessions {
  private readonly methods: ReadonlyMap<string, SignInMethod>;

  constructor(private readonly deps: ConsoleSessionDeps) {
    this.methods = new Map((deps.methods ?? SIGN_IN_METHODS).map((method) => [method.name, method]));
  }

  /** Opens a session for whoever `credential` proves to be under `methodName`, or `unauthenticated`. */
  async signIn(methodName: string, credential: string, meta: { userAgent?: string }): Promise<SignedIn> {
    const method = this.methods.get(methodName);
    if (!method) throw new WardenError('unauthenticated', UNAUTHENTICATED);
    const { storage, audit, clock, settings } = this.deps;
    const { secret, hash } = newSessionSecret();
    const session = await writeTransaction(storage, async (trx) => {
      const now = clock();
      const identity = await method.identify(trx, credential, now);
      if (!identity) throw new WardenError('unauthenticated', UNAUTHENTICATED);
      const opened: ConsoleSession = {
        id: newId('ses', now),
        tenantId: identity.tenantId,
        humanId: identity.humanId,
        method: identity.method,
        tokenId: identity.tokenId ?? null,
        userAgent: meta.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + settings.absoluteMs,
        revokedAt: null,
        revokedReason: null,
      };
      await trx
        .insertInto('console_sessions')
        .values({
          id: opened.id,
          tenant_id: opened.tenantId,
          human_id: opened.humanId,
          hash,
          method: opened.method,
          token_id: opened.tokenId,
          user_agent: opened.userAgent,
          created_at: now,
          last_used_at: now,
          expires_at: opened.expiresAt,
          revoked_at: null,
          revoked_reason: null,
        })
        .execute();
      if (identity.codeId) {
        await trx
          .updateTable('console_sign_in_codes')
          .set({ session_id: opened.id })
          .where('id', '=', identity.codeId)
          .execute();
      }
      await audit.append(trx, identity.tenantId, [
        {
          type: 'console.sign_in',
          actor: { type: 'human', id: identity.humanId, interface: 'console' },
          subject: { type: 'session', id: opened.id },
          payload: signInPayload(identity, opened),
          at: now,
        },
      ]);
      return opened;
    });
    return { session, secret, csrfToken: csrfTokenOf(secret) };
  }

  /** The live session `principal` came with. */
  async current(principal: HumanPrincipal): Promise<ConsoleSession> {
    const id = principal.sessionId;
    if (id === undefined) throw new WardenError('unauthenticated', 'no console session: sign in');
    const row = await this.deps.storage.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('tenant_id', '=', principal.tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new WardenError('unauthenticated', 'no console session: sign in');
    return sessionFromRow(row);
  }

  /** Ends the session the request came with. */
  async signOut(principal: HumanPrincipal): Promise<void> {
    const id = principal.sessionId;
    if (id === undefined) throw new WardenError('unauthenticated', 'no console session: sign in');
    await this.end(principal, id, 'sign_out');
  }

  /** The caller's live sessions, or (`all`, admins only) every live session of the tenant. */
  async list(principal: HumanPrincipal, all: boolean): Promise<ConsoleSession[]> {
    if (all && !principal.roles.includes('admin')) throw forbidden('only an admin may list every session');
    const now = this.deps.clock();
    let query = this.deps.storage.db
      .selectFrom('console_sessions as s')
      .leftJoin('human_tokens as t', 't.id', 's.token_id')
      .selectAll('s')
      .where('s.tenant_id', '=', principal.tenantId)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', now)
      .where('s.last_used_at', '>', now - this.deps.settings.idleMs)
      // A session ends with the token it was opened with (see SessionAuthenticator).
      .where((eb) => eb.or([eb('t.revoked_at', 'is', null), eb('t.revoked_at', '>', now)]))
      .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]));
    if (!all) query = query.where('s.human_id', '=', principal.humanId);
    const rows = await query.orderBy('s.id', 'desc').limit(1000).execute();
    return rows.map(sessionFromRow);
  }

  /** Revokes a session of the caller's, or (admins) any of the tenant. */
  async revoke(principal: HumanPrincipal, id: string): Promise<ConsoleSession> {
    return this.end(principal, id, 'revoked');
  }

  /**
   * A one-time sign-in link for `humanId`: by the human themself or an admin (an admin may already
   * issue that human an API token, so this grants nothing new), or by the node itself (`system`:
   * the link `warden up` prints for the admin).
   */
  async createLink(
    requester: HumanPrincipal | 'system',
    tenantId: string,
    humanId: string,
  ): Promise<SignInLink> {
    if (requester !== 'system' && !isSelfOrAdmin(requester, humanId)) throw forbidden(SELF_OR_ADMIN);
    const { storage, audit, clock, settings } = this.deps;
    const { secret, hash } = newSignInCode();
    const expiresAt = await writeTransaction(storage, async (trx) => {
      const human = await trx
        .selectFrom('humans')
        .select('status')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', humanId)
        .executeTakeFirst();
      // The human is named in the request's body (or is the caller): one of another tenant is
      // answered exactly like one that does not exist.
      if (!human) throw invalidField('body.humanId', `no human ${humanId} in this tenant`);
      if (human.status !== 'active') {
        throw new WardenError('conflict', `human ${humanId} is disabled; enable them first`);
      }
      const now = clock();
      const codeId = newId('sic', now);
      const ends = now + settings.codeTtlMs;
      const createdBy = requester === 'system' ? 'system' : requester.humanId;
      await trx
        .insertInto('console_sign_in_codes')
        .values({
          id: codeId,
          tenant_id: tenantId,
          human_id: humanId,
          hash,
          created_by: createdBy,
          created_at: now,
          expires_at: ends,
          used_at: null,
          session_id: null,
        })
        .execute();
      const actor: AuditActor =
        requester === 'system' ? { type: 'system', id: 'startup' } : actorOf(requester);
      await audit.append(trx, tenantId, [
        {
          type: 'console.link_create',
          actor,
          subject: { type: 'human', id: humanId },
          payload: { codeId, expiresAt: ends },
          at: now,
        },
      ]);
      return ends;
    });
    const base = this.deps.publicUrl().replace(/\/+$/, '');
    return { humanId, code: secret, url: `${base}/sign-in#code=${secret}`, expiresAt };
  }

  /** A link for the tenant's first active admin (for `warden up`), or undefined when it has none. */
  async linkForAdmin(tenantId: string): Promise<SignInLink | undefined> {
    const admin = await this.deps.storage.db
      .selectFrom('humans')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'active')
      .where('roles', 'like', '%"admin"%')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return admin ? this.createLink('system', tenantId, admin.id) : undefined;
  }

  private async end(
    principal: HumanPrincipal,
    id: string,
    reason: 'sign_out' | 'revoked',
  ): Promise<ConsoleSession> {
    const { storage, audit, clock, settings } = this.deps;
    return writeTransaction(storage, async (trx) => {
      const row = await trx
        .selectFrom('console_sessions')
        .selectAll()
        .where('tenant_id', '=', principal.tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw notFound('session', id);
      if (!isSelfOrAdmin(principal, row.human_id)) throw forbidden(SELF_OR_ADMIN);
      const now = clock();
      const alreadyOver = new WardenError('conflict', `session ${id} is already over`);
      if (!isLive(sessionFromRow(row), now, settings.idleMs)) throw alreadyOver;
      // The revoked_at guard makes a concurrent second revoke lose here rather than overwrite.
      const updated = await trx
        .updateTable('console_sessions')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw alreadyOver;
      await audit.append(trx, principal.tenantId, [
        {
          type: reason === 'sign_out' ? 'console.sign_out' : 'console.session_revoke',
          actor: { ...actorOf(principal), interface: principal.sessionId ? 'console' : 'api' },
          subject: { type: 'session', id },
          payload: { humanId: row.human_id, reason },
          at: now,
        },
      ]);
      return sessionFromRow({ ...row, revoked_at: now, revoked_reason: reason });
    });
  }
}

function signInPayload(identity: SignInIdentity, session: ConsoleSession) {
  return {
    method: identity.method,
    ...(identity.tokenId ? { tokenId: identity.tokenId } : {}),
    ...(identity.codeId ? { codeId: identity.codeId } : {}),
    expiresAt: session.expiresAt,
    ...(session.userAgent ? { userAgent: session.userAgent } : {}),
  };
}
