import type { LastUsedTracker } from '../credentials/last-used.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { hashSecret } from '../credentials/secrets.js';
import { WardenError } from '../errors.js';
import type { Storage } from '../storage/database.js';
import type { HumanRole } from '../tenants/roles.js';
import { isSessionSecret } from './console-secrets.js';

const SIGN_IN_AGAIN = 'the console session is unknown, expired or revoked: sign in again';

/**
 * Verifies the console's session cookie. Unlike API keys and tokens, sessions are not cached: a
 * console is a person clicking, one indexed read per request costs nothing there, and reading every
 * time means a sign-out, a revoked session or token, a disabled human or changed roles take effect
 * on the very next request, on every node, with no signal to wait for.
 *
 * The idle expiry reads `last_used_at`, which the last-used tracker writes in the background (at
 * most once a minute): a session may end up to about a minute before its idle time, never after.
 */
export class SessionAuthenticator {
  constructor(
    private readonly storage: Storage,
    private readonly lastUsed: LastUsedTracker,
    private readonly idleMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The human whose session `secret` is, or `unauthenticated`. */
  async authenticate(secret: string | undefined): Promise<HumanPrincipal & { readonly sessionId: string }> {
    if (secret === undefined || secret === '') {
      throw new WardenError(
        'unauthenticated',
        'send a credential: Authorization: Bearer <token>, or sign in',
      );
    }
    if (!isSessionSecret(secret)) throw new WardenError('unauthenticated', SIGN_IN_AGAIN);
    const now = this.clock();
    const row = await this.storage.db
      .selectFrom('console_sessions as s')
      .innerJoin('humans as h', 'h.id', 's.human_id')
      .leftJoin('human_tokens as t', 't.id', 's.token_id')
      .select([
        's.id',
        's.tenant_id',
        's.human_id',
        's.token_id',
        's.expires_at',
        's.revoked_at',
        's.last_used_at',
        'h.status',
        'h.roles',
        't.revoked_at as token_revoked_at',
        't.expires_at as token_expires_at',
      ])
      .where('s.hash', '=', hashSecret(secret))
      .executeTakeFirst();
    const tokenEnded =
      row?.token_id != null &&
      ((row.token_revoked_at !== null && row.token_revoked_at <= now) ||
        (row.token_expires_at !== null && row.token_expires_at <= now));
    if (
      !row ||
      row.revoked_at !== null ||
      row.expires_at <= now ||
      row.last_used_at + this.idleMs <= now ||
      row.status !== 'active' ||
      tokenEnded
    ) {
      throw new WardenError('unauthenticated', SIGN_IN_AGAIN);
    }
    this.lastUsed.touch('console_sessions', row.id, now);
    return {
      kind: 'human',
      tenantId: row.tenant_id,
      humanId: row.human_id,
      sessionId: row.id,
      roles: JSON.parse(row.roles) as HumanRole[],
    };
  }
}
