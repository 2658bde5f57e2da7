import { loadBundleFromFiles, type PolicyBundle, type SourceFile } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditActor, AuditLog } from '../../audit/audit-log.js';
import { WardenError } from '../../errors.js';
import type { Result } from '../../result.js';
import type { Signals } from '../../signals/signals.js';
import { type Storage, writeTransaction } from '../../storage/database.js';
import { compileStored } from '../policy-registry.js';
import { type PolicyInvalid, policyInvalid } from '../policy-service.js';

export interface ShadowBundle {
  readonly bundle: PolicyBundle;
  readonly startedAt: number;
  readonly startedBy: string;
}

/**
 * Each tenant's shadow bundle: a candidate evaluated beside the active bundle on live traffic and
 * never enforced. Stored (policy_shadows) so every node builds the same bundle from the same
 * sources; a signal and the policy sync bring every node's copy up to date.
 */
export class ShadowBundles {
  private readonly shadows = new Map<string, ShadowBundle>();

  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditLog,
    private readonly signals: Signals,
    private readonly log: FastifyBaseLogger,
    private readonly clock: () => number,
  ) {
    signals.subscribe((signal) => {
      if (signal.type !== 'policy.shadow.changed') return;
      this.syncTenant(signal.tenantId).catch((error: unknown) =>
        this.log.warn(
          { err: error, tenantId: signal.tenantId },
          'shadow bundle sync failed; the policy sync retries',
        ),
      );
    });
  }

  /** The hot path's question: a map lookup, nothing more. */
  get(tenantId: string): ShadowBundle | undefined {
    return this.shadows.get(tenantId);
  }

  /** Loads `files` as the tenant's shadow bundle (replacing any), on every node. */
  async start(
    tenantId: string,
    files: readonly SourceFile[],
    actor: AuditActor,
  ): Promise<Result<{ version: string; startedAt: number; previousVersion: string | null }, PolicyInvalid>> {
    const loaded = loadBundleFromFiles(files);
    if (!loaded.ok) return policyInvalid(loaded.issues);
    const now = this.clock();
    const startedBy = `${actor.type}:${actor.id}`;
    const previous = await writeTransaction(this.storage, async (trx) => {
      const before = await trx
        .selectFrom('policy_shadows')
        .select('version')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      const row = {
        version: loaded.bundle.version,
        files: JSON.stringify(files.map((f) => ({ path: f.path, text: f.text }))),
        started_by: startedBy,
        started_at: now,
      };
      await trx
        .insertInto('policy_shadows')
        .values({ tenant_id: tenantId, ...row })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
        .execute();
      await this.audit.append(trx, tenantId, [
        {
          type: 'policy.shadow.start',
          actor,
          subject: { type: 'policy', id: loaded.bundle.version },
          payload: {
            version: loaded.bundle.version,
            previousVersion: before?.version ?? null,
            ruleCount: loaded.bundle.ruleCount,
          },
          at: now,
        },
      ]);
      return before?.version ?? null;
    });
    this.shadows.set(tenantId, { bundle: loaded.bundle, startedAt: now, startedBy });
    await this.signals.publish({ type: 'policy.shadow.changed', tenantId });
    return { ok: true, version: loaded.bundle.version, startedAt: now, previousVersion: previous };
  }

  /** Stops the tenant's shadow bundle; its divergences stay for the report. 404 when none runs. */
  async stop(tenantId: string, actor: AuditActor): Promise<{ version: string }> {
    const now = this.clock();
    const version = await writeTransaction(this.storage, async (trx) => {
      const removed = await trx
        .deleteFrom('policy_shadows')
        .where('tenant_id', '=', tenantId)
        .returning('version')
        .executeTakeFirst();
      if (!removed) throw new WardenError('not_found', 'no shadow policy bundle is running for this tenant');
      await this.audit.append(trx, tenantId, [
        {
          type: 'policy.shadow.stop',
          actor,
          subject: { type: 'policy', id: removed.version },
          payload: { version: removed.version },
          at: now,
        },
      ]);
      return removed.version;
    });
    this.shadows.delete(tenantId);
    await this.signals.publish({ type: 'policy.shadow.changed', tenantId });
    return { version };
  }

  /** Brings every tenant's shadow to its stored state (the policy sync's pass calls it). */
  async syncAll(): Promise<void> {
    const rows = await this.storage.db
      .selectFrom('policy_shadows')
      .select(['tenant_id', 'version'])
      .execute();
    const stored = new Set(rows.map((r) => r.tenant_id));
    for (const tenantId of [...this.shadows.keys()]) if (!stored.has(tenantId)) this.shadows.delete(tenantId);
    for (const row of rows) {
      if (this.shadows.get(row.tenant_id)?.bundle.version !== row.version)
        await this.syncTenant(row.tenant_id);
    }
  }

  async syncTenant(tenantId: string): Promise<void> {
    const row = await this.storage.db
      .selectFrom('policy_shadows')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row) {
      this.shadows.delete(tenantId);
      return;
    }
    if (this.shadows.get(tenantId)?.bundle.version === row.version) return;
    this.shadows.set(tenantId, {
      bundle: compileStored(JSON.parse(row.files) as SourceFile[]),
      startedAt: Number(row.started_at),
      startedBy: row.started_by,
    });
  }
}
