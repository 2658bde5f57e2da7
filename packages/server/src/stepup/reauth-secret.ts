import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import { invalidField, WardenError } from '../errors.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { Database } from '../storage/schema.js';

/** scrypt's cost: ~50 ms a check on a laptop core, so guessing through the API is slow as well as locked out. */
const SCRYPT: ScryptOptions = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32;
export const MIN_SECRET_CHARS = 12;
export const MAX_SECRET_CHARS = 200;
/** After this many wrong secrets in a row the human is locked out of re-authentication for a while. */
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60_000;

function derive(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFC'), salt, KEY_BYTES, SCRYPT, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

async function hashOf(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return `${salt.toString('base64url')}:${(await derive(secret, salt)).toString('base64url')}`;
}

async function matches(secret: string, stored: string): Promise<boolean> {
  const [salt, hash] = stored.split(':');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(secret, Buffer.from(salt, 'base64url'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface ReauthSecretDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly clock: () => number;
}

/**
 * Each human's re-authentication secret: something they know, apart from the long-lived token their
 * CLI or scripts hold. Presenting it again is what mints a re-authentication proof, so a leaked token
 * alone cannot approve a step that asks the initiator to re-authenticate. Stored as scrypt; repeated
 * failures lock re-authentication for `LOCKOUT_MS`.
 */
export class ReauthSecrets {
  constructor(private readonly deps: ReauthSecretDeps) {}

  async has(tenantId: string, humanId: string): Promise<boolean> {
    const row = await this.deps.storage.db
      .selectFrom('human_reauth_secrets')
      .select('human_id')
      .where('tenant_id', '=', tenantId)
      .where('human_id', '=', humanId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Sets the human's secret. Changing one needs the current secret: whoever holds only the token
   * cannot replace it. (Setting the first one needs the token alone; an admin can clear a forgotten
   * secret, and both are audited.)
   */
  async set(tenantId: string, humanId: string, secret: string, current: string | undefined): Promise<void> {
    if (secret.length < MIN_SECRET_CHARS) {
      throw invalidField('body.secret', `must be at least ${MIN_SECRET_CHARS} characters`);
    }
    const hash = await hashOf(secret);
    const now = this.deps.clock();
    const existing = await this.row(this.deps.storage.db, tenantId, humanId);
    if (existing) {
      if (current === undefined) {
        throw invalidField(
          'body.currentSecret',
          'is required to change an existing re-authentication secret',
        );
      }
      await this.verify(tenantId, humanId, current, 'body.currentSecret');
    }
    await writeTransaction(this.deps.storage, async (trx) => {
      const row = await this.row(trx, tenantId, humanId);
      if (row) {
        await trx
          .updateTable('human_reauth_secrets')
          .set({ hash, failed_attempts: 0, locked_until: null, updated_at: now })
          .where('human_id', '=', humanId)
          .execute();
      } else {
        await trx
          .insertInto('human_reauth_secrets')
          .values({
            tenant_id: tenantId,
            human_id: humanId,
            hash,
            failed_attempts: 0,
            locked_until: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      await this.deps.audit.append(trx, tenantId, [
        {
          type: row ? 'human.reauth_secret_change' : 'human.reauth_secret_set',
          actor: { type: 'human', id: humanId },
          subject: { type: 'human', id: humanId },
          payload: {},
          at: now,
        },
      ]);
    });
  }

  /** An admin clears a human's secret (they forgot it); the human sets a new one. */
  async clear(tenantId: string, humanId: string, by: string): Promise<boolean> {
    const now = this.deps.clock();
    return writeTransaction(this.deps.storage, async (trx) => {
      const result = await trx
        .deleteFrom('human_reauth_secrets')
        .where('tenant_id', '=', tenantId)
        .where('human_id', '=', humanId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'human.reauth_secret_clear',
          actor: { type: 'human', id: by },
          subject: { type: 'human', id: humanId },
          payload: {},
          at: now,
        },
      ]);
      return true;
    });
  }

  /**
   * Checks a presented secret; throws `reauth_required` (none set, or wrong) or `rate_limited`
   * (locked). A wrong one counts towards the lockout, in a transaction of its own: call this outside
   * any other transaction.
   */
  async verify(tenantId: string, humanId: string, secret: string, field = 'body.secret'): Promise<void> {
    const now = this.deps.clock();
    const row = await this.row(this.deps.storage.db, tenantId, humanId);
    if (!row) {
      throw new WardenError(
        'reauth_required',
        'you have no re-authentication secret yet: set one with `warden me reauth-secret`, then try again',
      );
    }
    if (row.locked_until !== null && row.locked_until > now) {
      throw new WardenError(
        'rate_limited',
        `re-authentication is locked after ${MAX_FAILED_ATTEMPTS} wrong secrets; try again after ${new Date(row.locked_until).toISOString()}`,
      );
    }
    if (await matches(secret, row.hash)) {
      if (row.failed_attempts > 0) {
        await this.deps.storage.db
          .updateTable('human_reauth_secrets')
          .set({ failed_attempts: 0, locked_until: null })
          .where('human_id', '=', humanId)
          .execute();
      }
      return;
    }
    await this.countFailure(tenantId, humanId, now);
    throw new WardenError('reauth_required', `${field}: the re-authentication secret is wrong`, { field });
  }

  private async countFailure(tenantId: string, humanId: string, now: number): Promise<void> {
    await writeTransaction(this.deps.storage, async (trx) => {
      const row = await this.row(trx, tenantId, humanId);
      if (!row) return;
      const failed = row.failed_attempts + 1;
      await trx
        .updateTable('human_reauth_secrets')
        .set({
          failed_attempts: failed,
          locked_until: failed >= MAX_FAILED_ATTEMPTS ? now + LOCKOUT_MS : null,
        })
        .where('human_id', '=', humanId)
        .execute();
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'human.reauth_fail',
          actor: { type: 'human', id: humanId },
          subject: { type: 'human', id: humanId },
          payload: { failedAttempts: failed, locked: failed >= MAX_FAILED_ATTEMPTS },
          at: now,
        },
      ]);
    });
  }

  private row(db: Kysely<Database>, tenantId: string, humanId: string) {
    return db
      .selectFrom('human_reauth_secrets')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('human_id', '=', humanId)
      .executeTakeFirst();
  }
}
