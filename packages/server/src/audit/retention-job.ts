import type { FastifyBaseLogger } from 'fastify';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { AuditTrail } from './audit-trail.js';

const DAY_MS = 86_400_000;
const RETENTION_KEY = /^ret:(\d{4})-(\d{2})$/;

export interface RetentionDeps {
  readonly storage: Storage;
  readonly auditTrail: Pick<AuditTrail, 'keys' | 'log'>;
  /** Destroyed keys must leave every node's key cache, not only this one's. */
  readonly signals: Signals;
}

export interface RetentionResult {
  readonly tenantId: string;
  readonly keyIds: readonly string[];
}

/**
 * Ends the retention period of old audit payloads: every `ret:YYYY-MM` key of a month that ended
 * more than the tenant's retention days before `now` is destroyed, which makes the payloads it
 * sealed unreadable while every leaf, and so every proof, stays valid. Each tenant that lost keys
 * gets one `audit.retention` event listing them. Running it twice, or on two nodes, destroys nothing
 * twice: only live keys are destroyed, and only the run that destroyed them records it.
 */
export async function enforceRetention(
  deps: RetentionDeps,
  now: number,
  tenantId?: string,
): Promise<RetentionResult[]> {
  let tenants = deps.storage.db.selectFrom('tenants').select(['id', 'audit_retention_days']);
  if (tenantId !== undefined) tenants = tenants.where('id', '=', tenantId);
  const results: RetentionResult[] = [];
  for (const tenant of await tenants.execute()) {
    const keyIds = await enforceForTenant(deps, tenant.id, tenant.audit_retention_days, now);
    if (keyIds.length > 0) results.push({ tenantId: tenant.id, keyIds });
  }
  return results;
}

async function enforceForTenant(
  deps: RetentionDeps,
  tenantId: string,
  days: number,
  now: number,
): Promise<string[]> {
  const { storage, auditTrail, signals } = deps;
  const live = await storage.db
    .selectFrom('audit_keys')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'like', 'ret:%')
    .where('material', 'is not', null)
    .execute();
  const expired = live.map((k) => k.id).filter((id) => retentionEnds(id, days) < now);
  if (expired.length === 0) return [];
  const destroyed = await writeTransaction(storage, async (trx) => {
    const gone = await auditTrail.keys.destroy(trx, tenantId, expired, now);
    if (gone.length > 0) {
      await auditTrail.log.append(trx, tenantId, [
        {
          type: 'audit.retention',
          actor: { type: 'system', id: 'retention' },
          subject: { type: 'tenant', id: tenantId },
          payload: { keyIds: gone, retentionDays: days },
          at: now,
        },
      ]);
    }
    return gone;
  });
  if (destroyed.length > 0) {
    auditTrail.keys.evict(tenantId, destroyed);
    await signals.publish({ type: 'audit.keys_destroyed', tenantId, keyIds: destroyed });
  }
  return destroyed;
}

/**
 * When a retention key's payloads may go: `days` after its month ended, the month end being the
 * first instant of the next month (UTC). A key id of another shape never expires here.
 */
export function retentionEnds(keyId: string, days: number): number {
  const match = RETENTION_KEY.exec(keyId);
  if (!match) return Number.POSITIVE_INFINITY;
  // Date.UTC months count from 0, so the 1-based month number is already the next month.
  const monthEnd = Date.UTC(Number(match[1]), Number(match[2]), 1);
  return monthEnd + days * DAY_MS;
}

export interface RetentionJobOptions extends RetentionDeps {
  readonly clock: () => number;
  readonly log: FastifyBaseLogger;
  /** How often to run; daily unless told. */
  readonly intervalMs?: number;
}

/** The retention job: a pass as soon as it starts and then every day, each logging what it destroyed. */
export function retentionJob(options: RetentionJobOptions): PeriodicWorker<RetentionResult[]> {
  return new PeriodicWorker({
    name: 'audit retention',
    intervalMs: options.intervalMs ?? DAY_MS,
    runAtStart: true,
    log: options.log,
    pass: async () => {
      const results = await enforceRetention(options, options.clock());
      for (const { tenantId, keyIds } of results)
        options.log.info({ tenantId, keyIds }, 'audit retention: payload keys destroyed');
      return results;
    },
  });
}
