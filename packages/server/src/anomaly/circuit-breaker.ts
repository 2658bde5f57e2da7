import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/agent.js';
import { isGuardian, isOwnerOf } from '../agents/agent-access.js';
import { describeActor, sendNotifications } from '../agents/agent-notify.js';
import { findAgentForWrite, findHuman } from '../agents/agent-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden, notFound, WardenError } from '../errors.js';
import { recordIncident } from '../incidents/record-incident.js';
import type { Notifier } from '../notify/notifier.js';
import type { Signals } from '../signals/signals.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import { demoteFor } from '../trust/demotion.js';
import type { UsageStore } from '../usage/usage-store.js';
import { watcherNotices, watchersOf } from './anomaly-notices.js';
import { baselineOf, findBaseline } from './baseline-store.js';
import { lastBreakerReset } from './breaker-store.js';
import { HOUR_MS } from './ewma.js';

export type BreakerConfig = Pick<
  Config,
  'breakerFactor' | 'breakerWindowSeconds' | 'breakerMinUsd' | 'anomalyMinSamples'
>;

export interface CircuitBreakerDeps {
  readonly storage: Storage;
  readonly usage: UsageStore;
  readonly audit: AuditLog;
  readonly signals: Signals;
  readonly notifier: Notifier;
  readonly clock: () => number;
  readonly log: FastifyBaseLogger;
  readonly config: BreakerConfig;
}

/** What the breaker measured when it tripped, kept in the audit event and the incident. */
export interface SpendRate {
  readonly windowSeconds: number;
  readonly windowSpendUsd: number;
  readonly hourlyRateUsd: number;
  readonly baselineUsdPerHour: number;
  readonly factor: number;
  readonly minUsd: number;
}

const ACTOR = { type: 'system', id: 'circuit-breaker' } as const;
const MINUTE_MS = 60_000;
const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * The circuit breaker: when an agent's spend over a short window, as an hourly rate, passes
 * breakerFactor × its cost baseline (and the window's spend reaches breakerMinUsd), the breaker
 * opens and every decision of the agent is denied `circuit_open` until a human resets it.
 */
export class CircuitBreaker {
  constructor(private readonly deps: CircuitBreakerDeps) {}

  /**
   * Checks the spend rate after an outcome that reported a cost committed, and trips when it is
   * too high. Never rejects: the outcome is already recorded and answered, so a failing check is
   * logged, and the next reported cost checks again.
   */
  async afterSpend(tenantId: string, agentId: string, now: number): Promise<void> {
    try {
      const rate = await this.excessiveRate(tenantId, agentId, now);
      if (rate) await this.trip(tenantId, agentId, rate, now);
    } catch (error) {
      this.deps.log.error({ err: error, agentId }, 'circuit breaker check failed');
    }
  }

  /** The measured rate when it exceeds the limit, else undefined. */
  private async excessiveRate(
    tenantId: string,
    agentId: string,
    now: number,
  ): Promise<SpendRate | undefined> {
    const { storage, usage, config } = this.deps;
    const row = await findBaseline(storage.db, tenantId, agentId);
    // Without enough history there is no "normal" to compare against; budgets still apply.
    if (!row || Number(row.samples) < config.anomalyMinSamples) return undefined;
    const baseline = baselineOf(row).cost;
    const windowMs = config.breakerWindowSeconds * 1000;
    const measure = async (since: number): Promise<SpendRate | undefined> => {
      const spend = (await usage.since(tenantId, agentId, since)).costUsd;
      // Scaled over the whole window even when it was cut short by a reset: a short stretch is not inflated.
      const hourlyRate = (spend * HOUR_MS) / windowMs;
      if (spend < config.breakerMinUsd || hourlyRate <= config.breakerFactor * baseline) return undefined;
      return {
        windowSeconds: config.breakerWindowSeconds,
        windowSpendUsd: round(spend),
        hourlyRateUsd: round(hourlyRate),
        baselineUsdPerHour: round(baseline),
        factor: config.breakerFactor,
        minUsd: config.breakerMinUsd,
      };
    };
    const rate = await measure(now - windowMs);
    if (!rate) return undefined;
    // After a human reset only the spend since then counts (from the minute after it: buckets have
    // minute resolution); otherwise the burst that tripped the breaker would trip it again at once.
    const reset = await lastBreakerReset(storage.db, tenantId, agentId);
    if (reset === null || reset <= now - windowMs) return rate;
    return measure(reset - (reset % MINUTE_MS) + MINUTE_MS);
  }

  private async trip(tenantId: string, agentId: string, rate: SpendRate, now: number): Promise<void> {
    const { storage, audit, signals } = this.deps;
    const reason = `spend of $${rate.windowSpendUsd.toFixed(2)} in ${rate.windowSeconds}s ($${rate.hourlyRateUsd.toFixed(2)}/h) exceeds ${rate.factor}× the baseline of $${rate.baselineUsdPerHour.toFixed(2)}/h`;
    const tripped = await writeTransaction(storage, async (trx) => {
      const agent = await findAgentForWrite(trx, storage.dialect, tenantId, agentId);
      // Already open (another node or outcome got there first), or the agent is gone for good.
      if (!agent || agent.breaker !== null || agent.status === 'retired') return undefined;
      await trx
        .updateTable('agents')
        .set({ breaker_tripped_at: now, breaker_reason: reason, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', agentId)
        .execute();
      const facts = { ...rate };
      const incident = await recordIncident(trx, {
        tenantId,
        kind: 'circuit_breaker',
        agentId,
        summary: `The circuit breaker of agent ${agent.name} tripped: ${reason}`,
        detail: { accountable: { agent: agent.id, owner: agent.ownerId }, ...facts },
        actor: ACTOR,
        now,
      });
      // A trip is also a demotion trigger: one trust tier down, in this transaction.
      const demotion = await demoteFor(
        trx,
        storage.dialect,
        { tenantId, agentId, trigger: 'circuit_breaker', actor: ACTOR, reason, incidentId: incident.id },
        now,
      );
      await audit.append(trx, tenantId, [
        {
          type: 'agent.breaker_trip',
          actor: ACTOR,
          subject: { type: 'agent', id: agentId },
          payload: { name: agent.name, reason, incidentId: incident.id, ...facts },
          at: now,
        },
        incident.event,
        ...(demotion?.events ?? []),
      ]);
      const next: Agent = { ...agent, breaker: { trippedAt: now, reason }, updatedAt: now };
      return {
        agent: next,
        incidentId: incident.id,
        watchers: await watchersOf(trx, agent),
        demotionNotices: demotion?.notices ?? [],
      };
    });
    if (!tripped) return;
    await signals.publish({ type: 'agent.changed', tenantId, agentId });
    const { agent } = tripped;
    sendNotifications(
      this.deps,
      watcherNotices(
        'agent.breaker_trip',
        agent,
        tripped.watchers,
        `The circuit breaker of agent ${agent.name} tripped: ${reason}. Its calls are denied until a human resets it.`,
        { reason, incidentId: tripped.incidentId, ...rate },
        `agent.breaker_trip:${agent.id}:${now}`,
        now,
      ),
    );
    sendNotifications(this.deps, tripped.demotionNotices);
  }

  /**
   * Closes the breaker. An admin, security, or the agent's owner decides that the spend was
   * understood; resetting a closed breaker is a conflict, so a double click shows as such.
   */
  async reset(
    principal: HumanPrincipal,
    tenantId: string,
    agentId: string,
    comment?: string,
  ): Promise<Agent> {
    const { storage, audit, signals, clock } = this.deps;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const agent =
        principal.tenantId === tenantId
          ? await findAgentForWrite(trx, storage.dialect, tenantId, agentId)
          : undefined;
      if (!agent) throw notFound('agent', agentId);
      if (!isGuardian(principal) && !isOwnerOf(principal, agent)) {
        throw forbidden(
          `only an admin, security, or the owner of agent ${agent.name} may reset its circuit breaker`,
        );
      }
      if (agent.breaker === null) {
        throw new WardenError('conflict', `the circuit breaker of agent ${agent.name} is not open`);
      }
      await trx
        .updateTable('agents')
        .set({ breaker_tripped_at: null, breaker_reason: null, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', agentId)
        .execute();
      const actor = { type: 'human' as const, id: principal.humanId };
      await audit.append(trx, tenantId, [
        {
          type: 'agent.breaker_reset',
          actor,
          subject: { type: 'agent', id: agentId },
          payload: {
            name: agent.name,
            trippedAt: new Date(agent.breaker.trippedAt).toISOString(),
            reason: agent.breaker.reason,
            comment: comment ?? null,
          },
          at: now,
        },
      ]);
      const next: Agent = { ...agent, breaker: null, updatedAt: now };
      const who = describeActor(await findHuman(trx, tenantId, principal.humanId), principal.humanId);
      return { agent: next, who, watchers: await watchersOf(trx, agent) };
    });
    await signals.publish({ type: 'agent.changed', tenantId, agentId });
    const { agent } = outcome;
    sendNotifications(
      this.deps,
      watcherNotices(
        'agent.breaker_reset',
        agent,
        outcome.watchers.filter((watcher) => watcher.id !== principal.humanId),
        `${outcome.who} reset the circuit breaker of agent ${agent.name}${comment ? `: ${comment}` : ''}`,
        { comment: comment ?? null, actor: { type: 'human', id: principal.humanId } },
        `agent.breaker_reset:${agent.id}:${now}`,
        now,
      ),
    );
    return agent;
  }
}
