import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/agent.js';
import { sendNotifications } from '../agents/agent-notify.js';
import { findAgent, findAgentForWrite } from '../agents/agent-store.js';
import type { AuditEventInput, AuditLog } from '../audit/audit-log.js';
import type { BudgetCrossing } from '../budgets/budget-ledger.js';
import { describeCrossing } from '../budgets/budget-ledger.js';
import { actorOf, type HumanPrincipal } from '../credentials/principal.js';
import { invalidField, notFound } from '../errors.js';
import { type IncidentSeverity, recordIncident } from '../incidents/record-incident.js';
import type { Notifier } from '../notify/notifier.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, type Trx, writeTransaction } from '../storage/database.js';
import { type Assessment, assess } from './assessment.js';
import { criteriaOf, saveCriteria, type TrustCriteria } from './criteria.js';
import { demoteFor } from './demotion.js';
import { gatherEvidence, type TrustEvidence } from './evidence.js';
import { pendingPromotion } from './promotion-requests.js';
import type { TierChange } from './tier-change.js';
import { standingOf } from './trust-store.js';

export interface TrustServiceDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly log: FastifyBaseLogger;
  readonly clock: () => number;
}

/** Where an agent stands, for `GET /v1/agents/:id/trust`. */
export interface TrustStandingView {
  readonly agent: Agent;
  readonly tierSince: number;
  readonly checkedAt: number | null;
  readonly criteria: TrustCriteria;
  readonly evidence: TrustEvidence;
  readonly assessment: Assessment;
  readonly pendingPromotion: string | null;
}

export interface IncidentReport {
  readonly agentId: string;
  readonly severity: IncidentSeverity;
  readonly summary: string;
}

const BUDGETS_ACTOR = { type: 'system', id: 'budgets' } as const;

/**
 * Trust tiers seen from the API: the tenant's criteria, an agent's standing explained, incidents
 * people report, and the demotion a hard budget overrun causes. The daily promotion sweep is
 * `trust-sweep.ts`; demotions on a breaker trip or a rejected review happen in those transactions.
 */
export class TrustService {
  constructor(private readonly deps: TrustServiceDeps) {}

  criteria(tenantId: string): Promise<TrustCriteria> {
    return criteriaOf(this.deps.storage.db, tenantId);
  }

  saveCriteria(principal: HumanPrincipal, criteria: TrustCriteria): Promise<TrustCriteria> {
    return saveCriteria(this.deps, principal.tenantId, actorOf(principal), criteria);
  }

  /** The agent's tier, since when, and each criterion of the next tier with the figures judged. */
  async explain(tenantId: string, agentId: string): Promise<TrustStandingView> {
    const db = this.deps.storage.db;
    const agent = await findAgent(db, tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    const now = this.deps.clock();
    const [standing, criteria, pending] = await Promise.all([
      standingOf(db, agent),
      criteriaOf(db, tenantId),
      pendingPromotion(db, tenantId, agentId),
    ]);
    const evidence = await gatherEvidence(db, tenantId, agentId, standing.tierSince, now);
    return {
      agent,
      tierSince: standing.tierSince,
      checkedAt: standing.checkedAt,
      criteria,
      evidence,
      assessment: assess(agent.tier, criteria, evidence),
      pendingPromotion: pending,
    };
  }

  /**
   * A person reports an incident of an agent (a security incident, unexpected behaviour that needed
   * a human). A critical one demotes the agent by one tier at once, in the same transaction.
   */
  async reportIncident(
    principal: HumanPrincipal,
    report: IncidentReport,
  ): Promise<{ incidentId: string; createdAt: number; demotion: TierChange | undefined }> {
    const { storage, audit, clock } = this.deps;
    const now = clock();
    const actor = actorOf(principal);
    const result = await writeTransaction(storage, async (trx) => {
      const agent = await findAgentForWrite(trx, storage.dialect, principal.tenantId, report.agentId);
      if (!agent) throw invalidField('body.agentId', `no agent ${report.agentId} in this tenant`);
      const incident = await recordIncident(trx, {
        tenantId: agent.tenantId,
        kind: 'reported',
        severity: report.severity,
        agentId: agent.id,
        summary: report.summary,
        detail: { accountable: { agent: agent.id, owner: agent.ownerId }, reportedBy: principal.humanId },
        actor,
        now,
      });
      const demotion =
        report.severity === 'critical'
          ? await demoteFor(
              trx,
              storage.dialect,
              {
                tenantId: agent.tenantId,
                agentId: agent.id,
                trigger: 'critical_incident',
                actor,
                reason: `critical incident ${incident.id}: ${report.summary}`,
                incidentId: incident.id,
              },
              now,
            )
          : undefined;
      await audit.append(trx, agent.tenantId, [incident.event, ...(demotion?.events ?? [])]);
      return { incidentId: incident.id, createdAt: now, demotion };
    });
    if (result.demotion) await this.announce(result.demotion);
    return result;
  }

  /**
   * After the commit that crossed budget lines: a hard budget overrun of the agent's own (below)
   * is a critical incident and a demotion, in one transaction. Best effort like the other effects
   * of a crossing: logged on failure.
   */
  async afterBudgetCrossings(tenantId: string, crossings: readonly BudgetCrossing[], now: number) {
    for (const c of crossings) {
      if (!isOverrun(c)) continue;
      try {
        await this.overrun(tenantId, c, now);
      } catch (error) {
        this.deps.log.warn(
          { err: error, agentId: c.agentId, budgetId: c.budget.id },
          'trust demotion failed',
        );
      }
    }
  }

  private async overrun(tenantId: string, c: BudgetCrossing, now: number): Promise<void> {
    const { storage, audit } = this.deps;
    const demotion = await writeTransaction(storage, async (trx) => {
      const agent = await findAgentForWrite(trx, storage.dialect, tenantId, c.agentId);
      if (!agent) return undefined;
      const summary = describeCrossing(c);
      const incident = await this.overrunIncident(trx, agent, c, summary, now);
      const change = await demoteFor(
        trx,
        storage.dialect,
        {
          tenantId,
          agentId: agent.id,
          trigger: 'budget_overrun',
          actor: BUDGETS_ACTOR,
          reason: summary,
          incidentId: incident.id,
        },
        now,
      );
      await audit.append(trx, tenantId, [
        ...(incident.event ? [incident.event] : []),
        ...(change?.events ?? []),
      ]);
      return change;
    });
    if (demotion) await this.announce(demotion);
  }

  /**
   * The incident behind an overrun: a budget that suspends its agent already recorded one
   * (`budget_exceeded`) in the commit that crossed its limit, so the demotion names that one;
   * otherwise a `budget_overrun` incident is recorded now.
   */
  private async overrunIncident(
    trx: Trx,
    agent: Agent,
    c: BudgetCrossing,
    summary: string,
    now: number,
  ): Promise<{ id: string; event?: AuditEventInput }> {
    if (c.budget.suspendAgent) {
      const recorded = await trx
        .selectFrom('incidents')
        .select('id')
        .where('tenant_id', '=', agent.tenantId)
        .where('agent_id', '=', agent.id)
        .where('kind', '=', 'budget_exceeded')
        .$if(c.decisionId !== null, (qb) => qb.where('decision_id', '=', c.decisionId))
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (recorded) return { id: recorded.id };
    }
    return recordIncident(trx, {
      tenantId: agent.tenantId,
      kind: 'budget_overrun',
      agentId: agent.id,
      decisionId: c.decisionId,
      summary: `${summary} — agent ${agent.name}`,
      detail: {
        accountable: { agent: agent.id, owner: agent.ownerId },
        budgetId: c.budget.id,
        budget: c.budget.name,
      },
      actor: BUDGETS_ACTOR,
      now,
    });
  }

  private async announce(change: TierChange): Promise<void> {
    for (const signal of change.signals) await this.deps.signals.publish(signal);
    sendNotifications(this.deps, change.notices);
  }
}

/**
 * A hard budget overrun: one of the agent's own hard budgets (scope agent or task, on limit: deny)
 * ran over its limit — the actual cost an outcome reported took it past what admission allowed —
 * or reached the limit of a budget whose owner declared that an incident (`suspendAgent`).
 * Reaching a hard limit, or being refused at it, is the budget doing its job: it counts against
 * the day (`evidence.ts`), not as an overrun. Shared budgets (role, tenant) are not one agent's
 * doing; soft budgets only alert.
 */
export function isOverrun(c: BudgetCrossing): boolean {
  return (
    c.kind === 'limit' &&
    c.budget.onLimit === 'deny' &&
    (c.budget.scope === 'agent' || c.budget.scope === 'task') &&
    (c.used > c.budget.limit || c.budget.suspendAgent)
  );
}
