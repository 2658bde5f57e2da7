import { hashSecret, secretKind } from '../credentials/secrets.js';
import type { Trx } from '../storage/database.js';
import { isSignInCode } from './console-secrets.js';

/** Who a sign-in proved to be: a human of a tenant, and what proved it. */
export interface SignInIdentity {
  readonly tenantId: string;
  readonly humanId: string;
  /** The method's name, stored with the session (`token`, `code`, later `oidc`). */
  readonly method: string;
  /** The human token used: the session ends when it is revoked. */
  readonly tokenId?: string;
  /** The sign-in code used, for the audit event. */
  readonly codeId?: string;
}

/**
 * The seam for ways of signing in to the console. A method turns what the person presented into a
 * human of a tenant, inside the transaction that opens the session, so a one-time credential is
 * spent exactly when a session is made from it. It answers `undefined` for anything it does not
 * accept, and never says why (the caller answers one `unauthenticated` for every failure).
 *
 * `token` and `code` are the methods today. Single sign-on (OIDC, SAML) adds one more: its callback
 * route checks the identity provider's answer, maps it to a human (by e-mail, say), and opens the
 * session through the same `ConsoleSessions.signIn` with its own method; nothing else changes.
 */
export interface SignInMethod {
  readonly name: string;
  identify(trx: Trx, credential: string, now: number): Promise<SignInIdentity | undefined>;
}

/** A human's API token (wdn_u_…): valid, not revoked, and its holder active. Agent keys never pass. */
export const tokenSignIn: SignInMethod = {
  name: 'token',
  async identify(trx, credential, now) {
    if (secretKind(credential) !== 'human') return undefined;
    const row = await trx
      .selectFrom('human_tokens as t')
      .innerJoin('humans as h', 'h.id', 't.human_id')
      .select(['t.id', 't.tenant_id', 't.human_id', 't.expires_at', 't.revoked_at', 'h.status'])
      .where('t.hash', '=', hashSecret(credential))
      .executeTakeFirst();
    if (row?.status !== 'active') return undefined;
    if (row.revoked_at !== null && row.revoked_at <= now) return undefined;
    if (row.expires_at !== null && row.expires_at <= now) return undefined;
    return { tenantId: row.tenant_id, humanId: row.human_id, method: 'token', tokenId: row.id };
  },
};

/**
 * A one-time sign-in code (wdn_c_…): unexpired, unused, its human active. Spending it is one
 * conditional UPDATE (`used_at is null`): of two redemptions racing, on one node or two, the
 * database lets exactly one change the row; the other sees no row changed and fails.
 */
export const codeSignIn: SignInMethod = {
  name: 'code',
  async identify(trx, credential, now) {
    if (!isSignInCode(credential)) return undefined;
    const row = await trx
      .selectFrom('console_sign_in_codes as c')
      .innerJoin('humans as h', 'h.id', 'c.human_id')
      .select(['c.id', 'c.tenant_id', 'c.human_id', 'c.expires_at', 'c.used_at', 'h.status'])
      .where('c.hash', '=', hashSecret(credential))
      .executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= now || row.status !== 'active') return undefined;
    const spent = await trx
      .updateTable('console_sign_in_codes')
      .set({ used_at: now })
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) return undefined;
    return { tenantId: row.tenant_id, humanId: row.human_id, method: 'code', codeId: row.id };
  },
};

export const SIGN_IN_METHODS: readonly SignInMethod[] = [tokenSignIn, codeSignIn];
