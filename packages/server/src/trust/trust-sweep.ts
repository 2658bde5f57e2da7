import type { JsonObject } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import { sendNotifications } from '../agents/agent-notify.js';
import { findAgentForWrite } from '../agents/agent-store.js';
import type { PreparedApproval } from '../approvals/approval-builder.js';
import type { ApprovalOptions, ApprovalService } from '../approvals/approval-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Notifier } from '../notify/notifier.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { assess } from './assessment.js';
import { criteriaOf } from './criteria.js';
import { dayOf, gatherEvidence } from './evidence.js';
import { mayAskForPromotion, preparePromotion, SWEEP_ACTOR } from './promotion-requests.js';
import { changeTier, type TierChange } from './tier-change.js';
import { saveStanding, standingOf } from './trust-store.js';

export interface TrustSweepDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly approvals: ApprovalService;
  readonly approvalOptions: ApprovalOptions;
  readonly securityGroup: string;
  readonly clock: () => number;
  readonly intervalMs: number;
  readonly log: FastifyBaseLogger;
}

/** What one evaluation did. */
export type SweepResult = 'promoted' | 'requested' | 'unchanged' | 'skipped';

const BATCH = 100;

/**
 * The daily trust evaluation. Every node runs it on a timer; each active agent below the top tier
 * is evaluated once per UTC day: the agent's row is locked, its last evaluation read again, and
 * only a node that still finds it due evaluates it and records the evaluation in the same
 * transaction. So two nodes sweeping at once promote (or ask) once.
 */
export function trustSweep(deps: TrustSweepDeps): PeriodicWorker<number> {
  return new PeriodicWorker({
    name: 'trust sweep',
    intervalMs: deps.intervalMs,
    log: deps.log,
    pass: (stopping) => sweep(deps, stopping),
  });
}

/** One pass: evaluates the agents due today; returns how many it promoted or asked to promote. */
async function sweep(deps: TrustSweepDeps, stopping: () => boolean): Promise<number> {
  const now = deps.clock();
  const today = dayOf(now);
  let acted = 0;
  const seen = new Set<string>();
  while (!stopping()) {
    const due = (await dueAgents(deps.storage, today, BATCH)).filter((d) => !seen.has(d.id));
    if (due.length === 0) break;
    for (const agent of due) {
      if (stopping()) break;
      seen.add(agent.id);
      try {
        const result = await evaluateAgent(deps, agent.tenant_id, agent.id, now);
        if (result === 'promoted' || result === 'requested') acted++;
      } catch (error) {
        deps.log.error(
          { err: error, agentId: agent.id },
          'trust evaluation failed; retrying on the next sweep',
        );
      }
    }
  }
  return acted;
}

/** Active agents below the top tier not yet evaluated today. */
function dueAgents(storage: Storage, today: number, limit: number) {
  return storage.db
    .selectFrom('agents')
    .leftJoin('agent_trust', (join) =>
      join
        .onRef('agent_trust.tenant_id', '=', 'agents.tenant_id')
        .onRef('agent_trust.agent_id', '=', 'agents.id'),
    )
    .select(['agents.tenant_id', 'agents.id'])
    .where('agents.status', '=', 'active')
    .where('agents.tier', 'in', ['sandbox', 'monitored'])
    .where((eb) =>
      eb.or([eb('agent_trust.checked_at', 'is', null), eb('agent_trust.checked_at', '<', today)]),
    )
    .orderBy('agents.id')
    .limit(limit)
    .execute();
}

/**
 * Evaluates one agent with its row held: records the evaluation, and when every criterion is met
 * promotes it (automatic) or opens a promotion request (approval). Exported for the tests, which
 * call it at the instant they choose.
 */
export async function evaluateAgent(
  deps: TrustSweepDeps,
  tenantId: string,
  agentId: string,
  now: number,
): Promise<SweepResult> {
  const { storage } = deps;
  const outcome = await writeTransaction(storage, async (trx) => {
    const agent = await findAgentForWrite(trx, storage.dialect, tenantId, agentId);
    if (agent?.status !== 'active') return { result: 'skipped' as const };
    const standing = await standingOf(trx, agent);
    // Another node evaluated it today while this one waited for the row.
    if (standing.checkedAt !== null && standing.checkedAt >= dayOf(now))
      return { result: 'skipped' as const };
    await saveStanding(trx, tenantId, agentId, { ...standing, checkedAt: now });
    const criteria = await criteriaOf(trx, tenantId);
    const evidence = await gatherEvidence(trx, tenantId, agentId, standing.tierSince, now);
    const assessment = assess(agent.tier, criteria, evidence);
    if (!assessment.eligible || criteria.promotion === 'off') return { result: 'unchanged' as const };
    const figures = {
      ...evidence,
      since: new Date(evidence.since).toISOString(),
      now: new Date(now).toISOString(),
    };
    if (criteria.promotion === 'automatic') {
      const change = await changeTier(
        trx,
        storage.dialect,
        {
          tenantId,
          agentId,
          direction: 'promote',
          trigger: 'evidence',
          actor: SWEEP_ACTOR,
          reason: `every criterion for ${assessment.nextTier} is met`,
          evidence: { ...figures, criteria: assessment.checks as unknown as JsonObject[] },
          fromTier: agent.tier,
        },
        now,
      );
      if (!change) return { result: 'unchanged' as const };
      await deps.audit.append(trx, tenantId, change.events);
      return { result: 'promoted' as const, change };
    }
    if (!(await mayAskForPromotion(trx, agent, criteria.reaskAfterDays, now))) {
      return { result: 'unchanged' as const };
    }
    const prepared = await preparePromotion(
      trx,
      agent,
      assessment,
      figures,
      deps.approvalOptions,
      deps.securityGroup,
      now,
    );
    await deps.approvals.insert(trx, prepared);
    return { result: 'requested' as const, prepared };
  });
  if ('change' in outcome && outcome.change) await announceChange(deps, outcome.change);
  if ('prepared' in outcome && outcome.prepared) await announceRequest(deps, outcome.prepared);
  return outcome.result;
}

async function announceChange(deps: TrustSweepDeps, change: TierChange): Promise<void> {
  for (const signal of change.signals) await deps.signals.publish(signal);
  sendNotifications(deps, change.notices);
}

async function announceRequest(deps: TrustSweepDeps, prepared: PreparedApproval): Promise<void> {
  await deps.approvals.announce(prepared);
}
