import { loadBundleFromFiles, type SourceFile } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditActor, AuditLog } from '../../audit/audit-log.js';
import { WardenError } from '../../errors.js';
import { newId } from '../../ids.js';
import { PeriodicWorker } from '../../lifecycle/periodic-worker.js';
import type { Notifier } from '../../notify/notifier.js';
import { type Storage, writeTransaction } from '../../storage/database.js';
import type { PolicySchedulesTable } from '../../storage/schema.js';
import type { ImpactReport } from '../impact/impact-report.js';
import type { PolicyImpact } from '../impact/policy-impact.js';
import type { PolicyRegistry } from '../policy-registry.js';
import {
  type ActivateResult,
  type PolicyInvalid,
  type PolicyService,
  policyInvalid,
} from '../policy-service.js';
import { type AffectedAgent, activeAgentsLosingAllows, tellOwners } from './owner-notices.js';
import type { PolicySettings } from './policy-settings.js';

/** The window of recorded decisions a reload's impact is measured on. */
export const RELOAD_IMPACT_WINDOW_MS = 7 * 86_400_000;

export interface ScheduleDeps {
  readonly storage: Storage;
  readonly policies: PolicyService;
  readonly registry: PolicyRegistry;
  readonly impact: PolicyImpact;
  readonly settings: PolicySettings;
  readonly audit: AuditLog;
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

export interface ScheduledVersion {
  readonly id: string;
  readonly version: string;
  readonly status: PolicySchedulesTable['status'];
  readonly activateAt: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly closedBy: string | null;
  readonly closedAt: number | null;
  readonly affectedAgents: readonly AffectedAgent[];
}

export type ReloadOutcome =
  | {
      readonly ok: true;
      readonly outcome: 'activated';
      readonly activation: Extract<ActivateResult, { ok: true }>;
      readonly affectedAgents: readonly AffectedAgent[];
    }
  | {
      readonly ok: true;
      readonly outcome: 'scheduled';
      readonly schedule: ScheduledVersion;
      readonly ruleCount: number;
      readonly affectedAgents: readonly AffectedAgent[];
    }
  | PolicyInvalid;

/**
 * Notify-first reloads. A new version that would turn recorded allows of active agents into denies
 * or reviews tells those agents' owners first; with a grace period (the request's, or the tenant's
 * setting) it is scheduled instead of activated, and the schedule worker activates it when the
 * period ends unless someone cancelled it. The activation claims the schedule row in the activating
 * transaction, so with several nodes exactly one activates it.
 */
export class PolicySchedules {
  constructor(private readonly deps: ScheduleDeps) {}

  async reload(
    tenantId: string,
    files: readonly SourceFile[],
    actor: AuditActor,
    notifyFirstSeconds: number | undefined,
  ): Promise<ReloadOutcome> {
    const { deps } = this;
    const loaded = loadBundleFromFiles(files);
    if (!loaded.ok) return policyInvalid(loaded.issues);
    const now = deps.clock();
    const unchanged = deps.registry.versionOf(tenantId) === loaded.bundle.version;
    const report = unchanged
      ? undefined
      : await deps.impact.replay(loaded.bundle, {
          tenantId,
          since: now - RELOAD_IMPACT_WINDOW_MS,
          until: now,
        });
    const affected = report ? await activeAgentsLosingAllows(deps.storage, tenantId, report) : [];
    const grace = notifyFirstSeconds ?? (await deps.settings.notifyFirstSeconds(tenantId));
    if (affected.length === 0 || grace === 0) {
      const activation = await deps.policies.activate(tenantId, files, actor);
      if (!activation.ok) return activation;
      if (affected.length > 0 && activation.changed) {
        tellOwners(
          deps,
          tenantId,
          { version: activation.version, scheduleId: null, activateAt: now },
          affected,
          now,
        );
      }
      return { ok: true, outcome: 'activated', activation, affectedAgents: affected };
    }
    const schedule = await this.schedule(tenantId, files, loaded.bundle.version, now + grace * 1000, actor, {
      report: report as ImpactReport,
      affected,
    });
    tellOwners(
      deps,
      tenantId,
      { version: schedule.version, scheduleId: schedule.id, activateAt: schedule.activateAt },
      affected,
      now,
    );
    return {
      ok: true,
      outcome: 'scheduled',
      schedule,
      ruleCount: loaded.bundle.ruleCount,
      affectedAgents: affected,
    };
  }

  /** The tenant's schedules, newest first; only those still waiting unless `all`. */
  async list(tenantId: string, all: boolean): Promise<ScheduledVersion[]> {
    let query = this.deps.storage.db
      .selectFrom('policy_schedules')
      .selectAll()
      .where('tenant_id', '=', tenantId);
    if (!all) query = query.where('status', '=', 'scheduled');
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(200).execute();
    return rows.map(scheduleOf);
  }

  /** Calls off a scheduled version; 404 for an unknown id, 409 once it was activated or cancelled. */
  async cancel(tenantId: string, id: string, actor: AuditActor): Promise<ScheduledVersion> {
    const now = this.deps.clock();
    return writeTransaction(this.deps.storage, async (trx) => {
      const updated = await trx
        .updateTable('policy_schedules')
        .set({ status: 'cancelled', closed_by: `${actor.type}:${actor.id}`, closed_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('status', '=', 'scheduled')
        .returningAll()
        .executeTakeFirst();
      if (!updated) {
        const row = await trx
          .selectFrom('policy_schedules')
          .select('status')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row) throw new WardenError('not_found', `scheduled policy version ${id} not found`);
        throw new WardenError('conflict', `scheduled policy version ${id} is already ${row.status}`);
      }
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'policy.schedule.cancel',
          actor,
          subject: { type: 'policy_schedule', id },
          payload: { version: updated.version, activateAt: Number(updated.activate_at) },
          at: now,
        },
      ]);
      return scheduleOf(updated);
    });
  }

  /**
   * One pass of the schedule worker: activates every version whose grace period is over. Each is
   * claimed (status scheduled → activated) in the transaction that activates it; a node that finds
   * it already claimed, or cancelled in the meantime, does nothing.
   */
  async activateDue(): Promise<number> {
    const { deps } = this;
    const now = deps.clock();
    const due = await deps.storage.db
      .selectFrom('policy_schedules')
      .select(['id', 'tenant_id', 'files'])
      .where('status', '=', 'scheduled')
      .where('activate_at', '<=', now)
      .orderBy('activate_at')
      .limit(100)
      .execute();
    let activated = 0;
    for (const row of due) {
      const actor: AuditActor = { type: 'system', id: 'policy-schedule' };
      const result = await deps.policies.activate(
        row.tenant_id,
        JSON.parse(row.files) as SourceFile[],
        actor,
        async (trx) => {
          const claimed = await trx
            .updateTable('policy_schedules')
            .set({ status: 'activated', closed_by: `${actor.type}:${actor.id}`, closed_at: now })
            .where('id', '=', row.id)
            .where('status', '=', 'scheduled')
            .executeTakeFirst();
          return Number(claimed.numUpdatedRows) === 1;
        },
      );
      if (!result.ok) {
        deps.log.error(
          { scheduleId: row.id, tenantId: row.tenant_id },
          'a scheduled policy version no longer loads',
        );
      } else if (result.claimed) activated++;
    }
    return activated;
  }

  private async schedule(
    tenantId: string,
    files: readonly SourceFile[],
    version: string,
    activateAt: number,
    actor: AuditActor,
    impact: { readonly report: ImpactReport; readonly affected: readonly AffectedAgent[] },
  ): Promise<ScheduledVersion> {
    const now = this.deps.clock();
    const id = newId('pls', now);
    const createdBy = `${actor.type}:${actor.id}`;
    const summary = {
      window: impact.report.window,
      replayed: impact.report.replayed,
      changed: impact.report.changed,
      transitions: impact.report.transitions,
      affectedAgents: impact.affected,
    };
    return writeTransaction(this.deps.storage, async (trx) => {
      // A newer reload replaces the one still waiting: only the latest version is ever activated.
      const superseded = await trx
        .updateTable('policy_schedules')
        .set({ status: 'superseded', closed_by: createdBy, closed_at: now })
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'scheduled')
        .returning('id')
        .execute();
      const row: PolicySchedulesTable = {
        tenant_id: tenantId,
        id,
        version,
        files: JSON.stringify(files.map((f) => ({ path: f.path, text: f.text }))),
        status: 'scheduled',
        activate_at: activateAt,
        impact: JSON.stringify(summary),
        created_by: createdBy,
        created_at: now,
        closed_by: null,
        closed_at: null,
      };
      await trx.insertInto('policy_schedules').values(row).execute();
      await this.deps.audit.append(trx, tenantId, [
        {
          type: 'policy.schedule',
          actor,
          subject: { type: 'policy_schedule', id },
          payload: {
            version,
            activateAt,
            superseded: superseded.map((s) => s.id),
            replayed: impact.report.replayed,
            changed: impact.report.changed,
            affectedAgents: impact.affected.map((a) => ({
              id: a.agentId,
              owner: a.ownerId,
              allowsLost: a.count,
            })),
          },
          at: now,
        },
      ]);
      return scheduleOf(row);
    });
  }
}

function scheduleOf(row: PolicySchedulesTable): ScheduledVersion {
  const impact = JSON.parse(row.impact) as { affectedAgents?: AffectedAgent[] };
  return {
    id: row.id,
    version: row.version,
    status: row.status,
    activateAt: Number(row.activate_at),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    closedBy: row.closed_by,
    closedAt: row.closed_at === null ? null : Number(row.closed_at),
    affectedAgents: impact.affectedAgents ?? [],
  };
}

/** Activates scheduled versions once their grace period is over, once across nodes. */
export function policyScheduleWorker(schedules: PolicySchedules, intervalMs: number, log: FastifyBaseLogger) {
  return new PeriodicWorker({
    name: 'policy schedule',
    intervalMs,
    log,
    pass: () => schedules.activateDue(),
  });
}
