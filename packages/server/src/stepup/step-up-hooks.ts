import type { AuditLog } from '../audit/audit-log.js';
import { invalidField } from '../errors.js';
import { refusePrivateHost } from '../net/public-network.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { type Storage, writeTransaction } from '../storage/database.js';

export const MIN_HOOK_SECRET_CHARS = 32;

/** A tenant's step-up hook as the node uses it: where to send requests, and the secret, opened. */
export interface StepUpHook {
  readonly url: string;
  readonly secret: string;
}

/** What the API shows of a hook: never the secret. */
export interface StepUpHookView {
  readonly url: string;
  readonly updatedBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface StepUpHookDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly box: SecretBox;
  readonly clock: () => number;
  /** Refuse hook URLs on private networks (`WARDEN_API_UPSTREAM_NETWORKS=public`). */
  readonly publicOnly: boolean;
}

const bindingOf = (tenantId: string) => `${tenantId}/step-up-hook/secret`;

/**
 * Per tenant, the product's sign-in that re-authenticates end customers who are not Warden users:
 * set, shown and removed by the tenant's admins. The shared secret is sealed under the secrets key.
 */
export class StepUpHooks {
  constructor(private readonly deps: StepUpHookDeps) {}

  async set(tenantId: string, by: string, url: string, secret: string): Promise<StepUpHookView> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidField('body.url', `expected an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw invalidField('body.url', `expected an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (parsed.username || parsed.password) throw invalidField('body.url', 'must not carry credentials');
    if (this.deps.publicOnly) refusePrivateHost(url, 'body.url', 'step-up hooks');
    if (secret.length < MIN_HOOK_SECRET_CHARS) {
      throw invalidField(
        'body.secret',
        `must be at least ${MIN_HOOK_SECRET_CHARS} characters (a random string)`,
      );
    }
    const now = this.deps.clock();
    const sealed = this.deps.box.seal(secret, bindingOf(tenantId));
    await writeTransaction(this.deps.storage, async (trx) => {
      const existing = await trx
        .selectFrom('step_up_hooks')
        .select('created_at')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (existing) {
        await trx
          .updateTable('step_up_hooks')
          .set({ url, secret: sealed, updated_by: by, updated_at: now })
          .where('tenant_id', '=', tenantId)
          .execute();
      } else {
        await trx
          .insertInto('step_up_hooks')
          .values({
            tenant_id: tenantId,
            url,
            secret: sealed,
            updated_by: by,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'stepup.hook_set',
          actor: { type: 'human', id: by },
          subject: { type: 'tenant', id: tenantId },
          payload: { url },
          at: now,
        },
      ]);
    });
    return (await this.view(tenantId)) as StepUpHookView;
  }

  async view(tenantId: string): Promise<StepUpHookView | null> {
    const row = await this.deps.storage.db
      .selectFrom('step_up_hooks')
      .select(['url', 'updated_by', 'created_at', 'updated_at'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row
      ? { url: row.url, updatedBy: row.updated_by, createdAt: row.created_at, updatedAt: row.updated_at }
      : null;
  }

  /** The hook with its secret opened, for signing and verifying; null when the tenant has none. */
  async hook(tenantId: string): Promise<StepUpHook | null> {
    const row = await this.deps.storage.db
      .selectFrom('step_up_hooks')
      .select(['url', 'secret'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? { url: row.url, secret: this.deps.box.open(row.secret, bindingOf(tenantId)) } : null;
  }

  async remove(tenantId: string, by: string): Promise<boolean> {
    const now = this.deps.clock();
    return writeTransaction(this.deps.storage, async (trx) => {
      const result = await trx
        .deleteFrom('step_up_hooks')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'stepup.hook_remove',
          actor: { type: 'human', id: by },
          subject: { type: 'tenant', id: tenantId },
          payload: {},
          at: now,
        },
      ]);
      return true;
    });
  }
}
