import { issueHumanToken } from '../credentials/issue.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { forbidden, notFound, WardenError } from '../errors.js';
import { writeTransaction } from '../storage/database.js';
import type { HumanTokensTable } from '../storage/schema.js';
import type { TenantDeps } from './deps.js';
import { isSelfOrAdmin } from './human.js';

export interface HumanToken {
  readonly id: string;
  readonly humanId: string;
  readonly name: string;
  readonly hint: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

function tokenFromRow(row: HumanTokensTable): HumanToken {
  return {
    id: row.id,
    humanId: row.human_id,
    name: row.name,
    hint: row.hint,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

const SELF_OR_ADMIN = 'only an admin or the human themself may manage these tokens';

/** Human API tokens: issued to a human by themself or an admin, listed, revoked. */
export class TokenService {
  constructor(private readonly deps: TenantDeps) {}

  /** The secret is returned here and never again: only its hash is stored. */
  async issue(
    principal: HumanPrincipal,
    humanId: string,
    input: { name: string; expiresInSeconds?: number },
  ): Promise<{ token: HumanToken; secret: string }> {
    if (!isSelfOrAdmin(principal, humanId)) throw forbidden(SELF_OR_ADMIN);
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    return writeTransaction(storage, async (trx) => {
      const holder = await trx
        .selectFrom('humans')
        .select('status')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', humanId)
        .executeTakeFirst();
      if (!holder) throw notFound('human', humanId);
      if (holder.status !== 'active') {
        throw new WardenError('conflict', `human ${humanId} is disabled; enable them first`);
      }
      const now = clock();
      const expiresAt = input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000;
      const issued = await issueHumanToken(trx, { tenantId, humanId, name: input.name, expiresAt, now });
      await audit.append(trx, tenantId, [
        {
          type: 'token.create',
          actor: actorOf(principal),
          subject: { type: 'token', id: issued.id },
          payload: { humanId, name: input.name, hint: issued.hint, expiresAt },
          at: now,
        },
      ]);
      const token: HumanToken = {
        id: issued.id,
        humanId,
        name: input.name,
        hint: issued.hint,
        createdAt: now,
        expiresAt,
        revokedAt: null,
        lastUsedAt: null,
      };
      return { token, secret: issued.secret };
    });
  }

  async list(principal: HumanPrincipal, humanId: string): Promise<HumanToken[]> {
    if (!isSelfOrAdmin(principal, humanId)) throw forbidden(SELF_OR_ADMIN);
    const db = this.deps.storage.db;
    const holder = await db
      .selectFrom('humans')
      .select('id')
      .where('tenant_id', '=', principal.tenantId)
      .where('id', '=', humanId)
      .executeTakeFirst();
    if (!holder) throw notFound('human', humanId);
    const rows = await db
      .selectFrom('human_tokens')
      .selectAll()
      .where('tenant_id', '=', principal.tenantId)
      .where('human_id', '=', humanId)
      .orderBy('id')
      .execute();
    return rows.map(tokenFromRow);
  }

  /** Revokes at once: every node drops the token from its cache when the revocation is signalled. */
  async revoke(principal: HumanPrincipal, tokenId: string): Promise<HumanToken> {
    const { storage, audit, signals, clock } = this.deps;
    const tenantId = principal.tenantId;
    const { token, hash } = await writeTransaction(storage, async (trx) => {
      const row = await trx
        .selectFrom('human_tokens')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', tokenId)
        .executeTakeFirst();
      if (!row) throw notFound('token', tokenId);
      if (!isSelfOrAdmin(principal, row.human_id)) throw forbidden(SELF_OR_ADMIN);
      const alreadyRevoked = new WardenError('conflict', `token ${tokenId} is already revoked`);
      if (row.revoked_at !== null) throw alreadyRevoked;
      const now = clock();
      // The revoked_at guard makes a concurrent second revoke lose here rather than overwrite.
      const updated = await trx
        .updateTable('human_tokens')
        .set({ revoked_at: now })
        .where('id', '=', tokenId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw alreadyRevoked;
      await audit.append(trx, tenantId, [
        {
          type: 'token.revoke',
          actor: actorOf(principal),
          subject: { type: 'token', id: tokenId },
          payload: { humanId: row.human_id, name: row.name, hint: row.hint },
          at: now,
        },
      ]);
      return { token: tokenFromRow({ ...row, revoked_at: now }), hash: row.hash };
    });
    await signals.publish({ type: 'credential.revoked', tenantId, hashes: [hash] });
    return token;
  }
}
