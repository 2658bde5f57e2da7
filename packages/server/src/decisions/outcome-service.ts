import type { JsonValue } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import { findAgent } from '../agents/agent-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { capJson } from '../audit/cap.js';
import type { DataProtection, Protected } from '../audit/data-protection.js';
import type { CrossingNotices } from '../budgets/crossing-effects.js';
import type { Reservations, Settled } from '../budgets/reservations.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import { WardenError } from '../errors.js';
import type { Storage, Trx } from '../storage/database.js';
import { GroupCommit } from '../storage/group-commit.js';
import type { UsageStore } from '../usage/usage-store.js';
import { addToTaskHistory } from './task-history.js';

export interface OutcomeReport {
  readonly status: 'succeeded' | 'failed';
  readonly output?: unknown;
  readonly error?: string;
  readonly costUsd?: number;
  readonly tokens?: number;
  readonly records?: number;
  readonly durationMs?: number;
}

export interface RecordedOutcome extends OutcomeReport {
  readonly decisionId: string;
  /** True when the agent reports having done what it was denied. */
  readonly violation: boolean;
  readonly reportedAt: number;
}

export interface OutcomeDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly usage: UsageStore;
  readonly protection: DataProtection;
  readonly maxOutputBytes: number;
  /** Settles the decision's budget reservation with what the call cost. */
  readonly reservations: Reservations;
  readonly crossings: CrossingNotices;
  /** Watches spend rates; trips the agent's circuit breaker on a runaway. */
  readonly breaker: { afterSpend(tenantId: string, agentId: string, now: number): Promise<void> };
  readonly log: Pick<FastifyBaseLogger, 'warn'>;
  readonly clock: () => number;
}

/** Outcomes written in one transaction at most. */
const MAX_BATCH = 100;

interface OutcomeItem {
  readonly principal: AgentPrincipal;
  readonly decisionId: string;
  readonly report: OutcomeReport;
  readonly stored: Protected;
  readonly now: number;
}

type Written =
  | { readonly ok: true; readonly recorded: RecordedOutcome; readonly settled: Settled | undefined }
  | { readonly ok: false; readonly error: WardenError };

/**
 * Outcomes: what actually happened after a decision. Reported once, by the agent that asked; the
 * cost, tokens and records feed the usage counters and settle the decision's budget reservation in
 * the same transaction as the audit event.
 */
export class OutcomeService {
  private readonly storage: Storage;
  private readonly audit: AuditLog;
  private readonly usage: UsageStore;
  private readonly protection: DataProtection;
  private readonly maxOutputBytes: number;
  private readonly clock: () => number;
  private readonly commits: GroupCommit<OutcomeItem, Written>;

  constructor(private readonly deps: OutcomeDeps) {
    this.commits = new GroupCommit(deps.storage, (trx, items) => this.write(trx, items), MAX_BATCH);
    ({
      storage: this.storage,
      audit: this.audit,
      usage: this.usage,
      protection: this.protection,
      maxOutputBytes: this.maxOutputBytes,
      clock: this.clock,
    } = deps);
  }

  async report(
    principal: AgentPrincipal,
    decisionId: string,
    report: OutcomeReport,
  ): Promise<RecordedOutcome> {
    const now = this.clock();
    // Stored output and error are capped, subject fields sealed and sensitive values redacted,
    // in the decision row as in the audit event.
    const stored = await this.protection.protect(
      principal.tenantId,
      {
        ...(report.output !== undefined
          ? { output: capJson(report.output as JsonValue, this.maxOutputBytes) }
          : {}),
        ...(report.error !== undefined ? { error: report.error } : {}),
      },
      now,
    );
    let written: Written;
    try {
      written = await this.commits.submit({ principal, decisionId, report, stored, now });
    } catch {
      throw new WardenError('governance_unavailable', 'Warden cannot record the outcome right now; retry');
    }
    if (!written.ok) throw written.error;
    const { recorded, settled } = written;
    if (settled && settled.crossings.length > 0) {
      void this.deps.crossings.announce(principal.tenantId, settled.crossings, now);
    }
    if ((report.costUsd ?? 0) > 0) {
      // The outcome stands once committed; a breaker that cannot look now looks at the next spend.
      await this.deps.breaker
        .afterSpend(principal.tenantId, principal.agentId, now)
        .catch((error: unknown) =>
          this.deps.log.warn({ err: error, agentId: principal.agentId }, 'circuit breaker check failed'),
        );
    }
    return recorded;
  }

  /**
   * Writes a batch of outcomes in one transaction (group commit: concurrent reports share one durable
   * commit, as decisions do). A report refused on its own (unknown decision, already reported) is
   * answered alone and writes nothing; the others go on.
   */
  private async write(trx: Trx, items: readonly OutcomeItem[]): Promise<Written[]> {
    const results: Written[] = [];
    for (const item of items) {
      try {
        results.push(await this.writeOne(trx, item));
      } catch (error) {
        if (!(error instanceof WardenError)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  }

  private async writeOne(
    trx: Trx,
    { principal, decisionId, report, stored, now }: OutcomeItem,
  ): Promise<Written> {
    const decision = await trx
      .selectFrom('decisions')
      .select(['id', 'effect', 'outcome_status', 'tool', 'task_id', 'created_at'])
      .where('tenant_id', '=', principal.tenantId)
      .where('agent_id', '=', principal.agentId)
      .where('id', '=', decisionId)
      .executeTakeFirst();
    if (!decision) throw new WardenError('not_found', `decision ${decisionId} not found`);
    if (decision.outcome_status !== null) {
      throw new WardenError('conflict', `the outcome of decision ${decisionId} was already reported`);
    }
    const violation = decision.effect === 'deny' && report.status === 'succeeded';
    const recorded: RecordedOutcome = {
      ...report,
      ...stored.value,
      decisionId,
      violation,
      reportedAt: now,
    };
    await trx
      .updateTable('decisions')
      .set({ outcome_status: report.status, outcome: JSON.stringify(recorded), outcome_at: now })
      .where('id', '=', decisionId)
      .where('outcome_status', 'is', null)
      .execute();
    // Budget counters before usage counters, the order a decision's transaction locks them in:
    // otherwise a decision and an outcome of one agent on two nodes can deadlock (PostgreSQL).
    const agent = await findAgent(trx, principal.tenantId, principal.agentId);
    const settled = agent
      ? await this.deps.reservations.settleOutcome(trx, this.storage.dialect, {
          tenantId: principal.tenantId,
          agent,
          decisionId,
          taskId: decision.task_id,
          decidedAt: decision.created_at,
          actual: { usd: report.costUsd ?? 0, tokens: report.tokens ?? 0, records: report.records ?? 0 },
          now,
        })
      : undefined;
    await this.usage.add(trx, [
      {
        tenantId: principal.tenantId,
        agentId: principal.agentId,
        at: now,
        costUsd: report.costUsd ?? 0,
        tokens: report.tokens ?? 0,
        records: report.records ?? 0,
      },
    ]);
    // A failed outcome counts in its task's history (`task.failures[tool]`), after the budget and
    // usage counters, as in a decision's transaction.
    if (report.status === 'failed' && decision.task_id) {
      await addToTaskHistory(
        trx,
        this.storage.dialect,
        [
          {
            tenantId: principal.tenantId,
            taskId: decision.task_id,
            tool: decision.tool,
            calls: 0,
            denied: 0,
            failures: 1,
            labels: [],
          },
        ],
        now,
      );
    }
    await this.audit.append(trx, principal.tenantId, [
      {
        type: violation ? 'decision.violation' : 'decision.outcome',
        actor: { type: 'agent', id: principal.agentId },
        subject: { type: 'decision', id: decisionId },
        ...(decision.task_id ? { task: { id: decision.task_id } } : {}),
        tool: decision.tool,
        effect: decision.effect,
        outcome: report.status,
        payload: {
          ...stored.value,
          decisionId,
          costUsd: report.costUsd ?? null,
          tokens: report.tokens ?? null,
          records: report.records ?? null,
          durationMs: report.durationMs ?? null,
          ...(settled?.reservation
            ? { reservation: { id: settled.reservation.id, was: settled.reservation.status } }
            : {}),
        },
        redactions: stored.counts,
        at: now,
      },
      ...(settled?.events ?? []),
    ]);
    return { ok: true, recorded, settled };
  }
}
