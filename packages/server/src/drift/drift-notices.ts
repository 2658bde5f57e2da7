import type { FastifyBaseLogger } from 'fastify';
import { sendNotifications } from '../agents/agent-notify.js';
import type { AuditLog } from '../audit/audit-log.js';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Notification, Notifier } from '../notify/notifier.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { activeHumans } from '../tenants/active-humans.js';
import type { AgentDrift } from './agent-drift.js';
import { DEFAULT_DRIFT_DAYS, type DriftService } from './drift-service.js';

const CHECK_INTERVAL_MS = 3_600_000;
/** The candidates a notice spells out; the rest are counted (the report has them all). */
const LISTED_CANDIDATES = 20;

export interface DriftNoticeDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly drift: DriftService;
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

/**
 * The monthly drift notice: once a month (UTC), each owner whose agents hold permissions they did
 * not use in the last 30 days is told which, with the suggested changes. Every node checks hourly;
 * the node that inserts the tenant's `drift_notices` row for the month sends, the others find it
 * taken, so the notices go out once across nodes.
 */
export function driftNotices(deps: DriftNoticeDeps): PeriodicWorker<number> {
  return new PeriodicWorker({
    name: 'drift notices',
    intervalMs: CHECK_INTERVAL_MS,
    log: deps.log,
    pass: (stopping) => sendMonthlyNotices(deps, stopping),
  });
}

/** One pass: for every tenant not yet told this month, tell its owners. Returns how many tenants it sent for. */
export async function sendMonthlyNotices(
  deps: DriftNoticeDeps,
  stopping: () => boolean = () => false,
): Promise<number> {
  const now = deps.clock();
  const period = new Date(now).toISOString().slice(0, 7);
  const tenants = await deps.storage.db.selectFrom('tenants').select('id').orderBy('id').execute();
  let sent = 0;
  for (const { id: tenantId } of tenants) {
    if (stopping()) break;
    const done = await deps.storage.db
      .selectFrom('drift_notices')
      .select('period')
      .where('tenant_id', '=', tenantId)
      .where('period', '=', period)
      .executeTakeFirst();
    if (done) continue;
    try {
      if (await noticeTenant(deps, tenantId, period, now)) sent++;
    } catch (error) {
      deps.log.error({ err: error, tenantId, period }, 'drift notices failed; retrying on the next pass');
    }
  }
  return sent;
}

async function noticeTenant(
  deps: DriftNoticeDeps,
  tenantId: string,
  period: string,
  now: number,
): Promise<boolean> {
  const report = await deps.drift.report(tenantId, {}, DEFAULT_DRIFT_DAYS);
  const byOwner = new Map<string, AgentDrift[]>();
  for (const agent of report.agents) {
    if (agent.candidates.length === 0) continue;
    byOwner.set(agent.ownerId, [...(byOwner.get(agent.ownerId) ?? []), agent]);
  }
  const claimed = await writeTransaction(deps.storage, async (trx) => {
    const inserted = await trx
      .insertInto('drift_notices')
      .values({ tenant_id: tenantId, period, sent_at: now, owners: byOwner.size })
      .onConflict((oc) => oc.columns(['tenant_id', 'period']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
    await deps.audit.append(trx, tenantId, [
      {
        type: 'drift.notice',
        actor: { type: 'system', id: 'drift' },
        subject: { type: 'tenant', id: tenantId },
        payload: {
          period,
          policyVersion: report.policyVersion,
          owners: [...byOwner.keys()],
          candidates: report.summary.candidates,
        },
        at: now,
      },
    ]);
    return activeHumans(trx, tenantId, { ids: [...byOwner.keys()] });
  });
  if (!claimed) return false;
  const notices: Notification[] = claimed.map((owner) => {
    const agents = byOwner.get(owner.id) ?? [];
    const candidates = agents.flatMap((agent) =>
      agent.candidates.map((c) => ({
        agentId: agent.agentId,
        agent: agent.name,
        kind: c.kind,
        id: c.id,
        change: c.suggestion.summary,
      })),
    );
    return {
      type: 'drift.notice',
      tenantId,
      recipient: { humanId: owner.id, email: owner.email },
      subject: { type: 'tenant', id: tenantId },
      summary: `Permission drift for ${period}: ${candidates.length} permission(s) of your ${agents.length} agent(s) went unused in the last ${DEFAULT_DRIFT_DAYS} days and can be removed`,
      data: {
        period,
        agents: agents.map((a) => a.agentId),
        candidates: candidates.slice(0, LISTED_CANDIDATES),
        more: Math.max(0, candidates.length - LISTED_CANDIDATES),
      },
      at: now,
      collapseKey: `drift.notice:${tenantId}:${period}:${owner.id}`,
    };
  });
  sendNotifications(deps, notices);
  return true;
}
