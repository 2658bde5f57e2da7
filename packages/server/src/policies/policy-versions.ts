import type { PolicyBundle } from '@warden/policy';
import { notFound } from '../errors.js';
import type { Storage } from '../storage/database.js';
import { compileStored } from './policy-registry.js';

export interface PolicyVersionSummary {
  readonly version: string;
  /** The last time it was made the active version (its creation when no activation is on record). */
  readonly activatedAt: number;
  /** `<actor type>:<id>` of that activation. */
  readonly activatedBy: string | null;
  readonly ruleCount: number;
  readonly active: boolean;
}

export interface PolicyVersionDetail extends PolicyVersionSummary {
  readonly bundle: PolicyBundle;
  /** The sources as they were activated: the files of the policy directory, with their text. */
  readonly files: readonly { readonly path: string; readonly text: string }[];
}

/** Stored versions are immutable, so a compiled one is kept; a few cover a history browsed by diff. */
const COMPILED_KEPT = 16;

/**
 * A tenant's policy history: every version ever activated (stored with its sources by
 * PolicyService.activate) and who activated it when, read from the `policy.activate` audit events.
 */
export class PolicyVersions {
  private readonly compiled = new Map<string, PolicyBundle>();

  constructor(private readonly storage: Storage) {}

  async list(tenantId: string): Promise<PolicyVersionSummary[]> {
    const db = this.storage.db;
    const [versions, active, activations] = await Promise.all([
      db
        .selectFrom('policy_versions')
        .select(['version', 'rule_count', 'created_at'])
        .where('tenant_id', '=', tenantId)
        .execute(),
      this.activeVersion(tenantId),
      this.activations(tenantId),
    ]);
    return versions
      .map((row) => {
        const activation = activations.get(row.version);
        return {
          version: row.version,
          activatedAt: activation?.at ?? Number(row.created_at),
          activatedBy: activation?.by ?? null,
          ruleCount: Number(row.rule_count),
          active: row.version === active,
        };
      })
      .sort((a, b) => b.activatedAt - a.activatedAt || a.version.localeCompare(b.version));
  }

  async get(tenantId: string, version: string): Promise<PolicyVersionDetail> {
    const row = await this.storage.db
      .selectFrom('policy_versions')
      .select(['version', 'files', 'rule_count', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw notFound('policy version', version);
    const [active, activations] = await Promise.all([
      this.activeVersion(tenantId),
      this.activations(tenantId, version),
    ]);
    const files = JSON.parse(row.files) as { path: string; text: string }[];
    const activation = activations.get(version);
    return {
      version,
      activatedAt: activation?.at ?? Number(row.created_at),
      activatedBy: activation?.by ?? null,
      ruleCount: Number(row.rule_count),
      active: version === active,
      bundle: this.compile(tenantId, version, files),
      files,
    };
  }

  private async activeVersion(tenantId: string): Promise<string | undefined> {
    const row = await this.storage.db
      .selectFrom('policy_active')
      .select('version')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row?.version;
  }

  /** The latest activation of each version (or of one). */
  private async activations(
    tenantId: string,
    version?: string,
  ): Promise<Map<string, { at: number; by: string }>> {
    let query = this.storage.db
      .selectFrom('audit_events')
      .select(['subject_id', 'actor_type', 'actor_id', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('type', '=', 'policy.activate');
    if (version !== undefined) query = query.where('subject_id', '=', version);
    const rows = await query.orderBy('seq', 'asc').execute();
    const latest = new Map<string, { at: number; by: string }>();
    for (const row of rows) {
      latest.set(row.subject_id, { at: Number(row.created_at), by: `${row.actor_type}:${row.actor_id}` });
    }
    return latest;
  }

  private compile(
    tenantId: string,
    version: string,
    files: readonly { path: string; text: string }[],
  ): PolicyBundle {
    const key = `${tenantId}|${version}`;
    let bundle = this.compiled.get(key);
    if (!bundle) {
      bundle = compileStored(files);
      if (this.compiled.size >= COMPILED_KEPT) {
        const oldest = this.compiled.keys().next().value;
        if (oldest !== undefined) this.compiled.delete(oldest);
      }
      this.compiled.set(key, bundle);
    }
    return bundle;
  }
}
