import {
  loadBundleFromFiles,
  type PolicyBundle,
  type PolicyIssue,
  readBundleFiles,
  type SourceFile,
} from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditActor, AuditLog } from '../audit/audit-log.js';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Worker } from '../lifecycle/worker.js';
import { type Failure, failure, type Result } from '../result.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import { compileStored, type PolicyRegistry } from './policy-registry.js';

/** Policies that do not load: every issue found, each with its file and line. */
export type PolicyInvalid = Failure<'policy_invalid'> & { readonly issues: readonly PolicyIssue[] };

export type ActivateResult = Result<
  {
    version: string;
    previousVersion: string | null;
    changed: boolean;
    ruleCount: number;
    /** False when the `claim` given to `activate` called it off: nothing was written. */
    claimed: boolean;
  },
  PolicyInvalid
>;

export function policyInvalid(issues: readonly PolicyIssue[]): PolicyInvalid {
  return failure('policy_invalid', `the policies do not load (${issues.length} issue(s))`, { issues });
}

/**
 * Policy versions: a bundle is validated, stored with its sources, made the tenant's active version
 * and announced; every node then builds the same bundle from the stored sources (not from its own
 * disk), and a periodic sync catches any node that missed the announcement.
 */
export class PolicyService {
  constructor(
    private readonly storage: Storage,
    private readonly registry: PolicyRegistry,
    private readonly audit: AuditLog,
    private readonly signals: Signals,
    private readonly log: FastifyBaseLogger,
    private readonly clock: () => number = Date.now,
  ) {
    signals.subscribe((signal) => {
      if (signal.type === 'policy.activated' && registry.versionOf(signal.tenantId) !== signal.version) {
        // This node keeps its previous version until the periodic sync (policySync) catches up.
        this.syncTenant(signal.tenantId).catch((error: unknown) =>
          this.log.warn(
            { err: error, tenantId: signal.tenantId, version: signal.version },
            'policy sync after an activation failed; this node keeps its previous version for now',
          ),
        );
      }
    });
  }

  /**
   * Validates `files` and, if they load, makes them the tenant's active bundle. `claim`, when given,
   * runs first in the same transaction and may call the activation off (a scheduled version that
   * another node activated, or that was cancelled): the answer is then `claimed: false`.
   */
  async activate(
    tenantId: string,
    files: readonly SourceFile[],
    actor: AuditActor,
    claim?: (trx: Trx) => Promise<boolean>,
  ): Promise<ActivateResult> {
    const loaded = loadBundleFromFiles(files);
    if (!loaded.ok) return policyInvalid(loaded.issues);
    const bundle = loaded.bundle;
    const now = this.clock();
    const NOT_CLAIMED = Symbol('not claimed');
    const previousVersion = await writeTransaction(this.storage, async (trx) => {
      if (claim && !(await claim(trx))) return NOT_CLAIMED;
      const current = await trx
        .selectFrom('policy_active')
        .select('version')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      if (current?.version === bundle.version) return current.version;
      await trx
        .insertInto('policy_versions')
        .values({
          tenant_id: tenantId,
          version: bundle.version,
          files: JSON.stringify(files.map((f) => ({ path: f.path, text: f.text }))),
          rule_count: bundle.ruleCount,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'version']).doNothing())
        .execute();
      const row = { version: bundle.version, activated_at: now, activated_by: `${actor.type}:${actor.id}` };
      await trx
        .insertInto('policy_active')
        .values({ tenant_id: tenantId, ...row })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
        .execute();
      await this.audit.append(trx, tenantId, [
        {
          type: 'policy.activate',
          actor,
          subject: { type: 'policy', id: bundle.version },
          payload: {
            version: bundle.version,
            previousVersion: current?.version ?? null,
            ruleCount: bundle.ruleCount,
            policies: bundle.policies.map((p) => p.metadata.name),
          },
          at: now,
        },
      ]);
      return current?.version ?? null;
    });
    if (previousVersion === NOT_CLAIMED) {
      return {
        ok: true,
        version: bundle.version,
        previousVersion: null,
        changed: false,
        ruleCount: bundle.ruleCount,
        claimed: false,
      };
    }
    this.registry.set(tenantId, bundle);
    const changed = previousVersion !== bundle.version;
    if (changed) await this.signals.publish({ type: 'policy.activated', tenantId, version: bundle.version });
    return {
      ok: true,
      version: bundle.version,
      previousVersion,
      changed,
      ruleCount: bundle.ruleCount,
      claimed: true,
    };
  }

  /** Reads a policy directory the way `warden policy lint` does; any unusable file fails the read. */
  async readDirectory(dir: string): Promise<Result<{ files: SourceFile[] }, PolicyInvalid>> {
    const read = await readBundleFiles(dir);
    if (!read.ok || read.issues.length > 0) return policyInvalid(read.issues);
    return { ok: true, files: read.files };
  }

  /** Brings every tenant's in-memory bundle to its stored active version. */
  async syncAll(): Promise<void> {
    const rows = await this.storage.db.selectFrom('policy_active').select(['tenant_id', 'version']).execute();
    for (const row of rows) {
      if (this.registry.versionOf(row.tenant_id) !== row.version) await this.syncTenant(row.tenant_id);
    }
  }

  async syncTenant(tenantId: string): Promise<PolicyBundle | undefined> {
    const row = await this.storage.db
      .selectFrom('policy_active as a')
      .innerJoin('policy_versions as v', (join) =>
        join.onRef('v.tenant_id', '=', 'a.tenant_id').onRef('v.version', '=', 'a.version'),
      )
      .select(['v.version', 'v.files'])
      .where('a.tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row) return undefined;
    if (this.registry.versionOf(tenantId) === row.version) return this.registry.get(tenantId);
    const bundle = compileStored(JSON.parse(row.files) as SourceFile[]);
    this.registry.set(tenantId, bundle);
    return bundle;
  }
}

/** Catches a node up with versions it missed the announcement of (a dropped signal connection). */
export function policySync(
  policies: PolicyService,
  intervalMs: number,
  log: FastifyBaseLogger,
  /** More stored policy state to catch up with on the same pass (the shadow bundles). */
  also?: () => Promise<void>,
): Worker {
  return new PeriodicWorker({
    name: 'policy sync',
    intervalMs,
    log,
    pass: async () => {
      await policies.syncAll();
      await also?.();
    },
  });
}
