import { type DecisionInput, decide } from '@warden/policy';
import type { FastifyBaseLogger } from 'fastify';
import type { PolicyVerdict } from '../../decisions/policy-input.js';
import { newId } from '../../ids.js';
import { PeriodicWorker } from '../../lifecycle/periodic-worker.js';
import type { Storage } from '../../storage/database.js';
import type { PolicyShadowDivergencesTable } from '../../storage/schema.js';
import type { ShadowBundles } from './shadow-bundles.js';

/** A live call the policy decided, as the shadow bundle needs it. */
export interface ShadowedCall {
  readonly tenantId: string;
  readonly decisionId: string;
  readonly agentId: string;
  readonly input: DecisionInput;
  readonly verdict: PolicyVerdict & { readonly policyVersion: string };
  readonly now: number;
}

/** Divergences waiting for the flush; beyond this they are counted and dropped (the answer never waits). */
const MAX_PENDING = 10_000;
const INSERT_CHUNK = 200;

/**
 * Evaluates each decided call against the tenant's shadow bundle, after the decision was recorded
 * and answered: the call is queued, evaluated on a later turn of the event loop in batches, and
 * only the calls on which the shadow answers a different effect are kept, in memory until the
 * flusher writes them. The shadow's answer is never enforced and never delays the caller.
 */
export class ShadowEvaluator {
  private queue: ShadowedCall[] = [];
  private scheduled = false;
  private pending: PolicyShadowDivergencesTable[] = [];
  private dropped = 0;

  constructor(
    private readonly bundles: ShadowBundles,
    private readonly storage: Storage,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Called by the decide path once a decision is recorded: a map lookup when no shadow runs. */
  observe(call: ShadowedCall): void {
    if (!this.bundles.get(call.tenantId)) return;
    this.queue.push(call);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.evaluateQueued());
  }

  /** Evaluates what is queued now (the decide path's setImmediate, or a flush). */
  evaluateQueued(): void {
    this.scheduled = false;
    const calls = this.queue;
    this.queue = [];
    for (const call of calls) {
      const shadow = this.bundles.get(call.tenantId);
      if (!shadow) continue;
      const answer = decide(shadow.bundle, call.input);
      if (answer.effect === call.verdict.effect) continue;
      if (this.pending.length >= MAX_PENDING) {
        this.dropped++;
        continue;
      }
      this.pending.push({
        tenant_id: call.tenantId,
        id: newId('div', call.now),
        decision_id: call.decisionId,
        agent_id: call.agentId,
        tool: call.input.tool,
        active_version: call.verdict.policyVersion,
        shadow_version: shadow.bundle.version,
        active_effect: call.verdict.effect,
        active_code: call.verdict.code,
        active_rule: call.verdict.decidingRule,
        shadow_effect: answer.effect,
        shadow_code: answer.code,
        shadow_rule: answer.decidingRule,
        created_at: call.now,
      });
    }
  }

  /** Writes the divergences found so far (the flusher's pass, and the last one on stop). */
  async flush(): Promise<number> {
    this.evaluateQueued();
    const rows = this.pending;
    this.pending = [];
    if (this.dropped > 0) {
      this.log.warn(
        { dropped: this.dropped },
        'shadow divergences dropped: more than the flusher could keep up with',
      );
      this.dropped = 0;
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await this.storage.db
        .insertInto('policy_shadow_divergences')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .execute();
    }
    return rows.length;
  }
}

/** Writes shadow divergences every `intervalMs`, and what is left when the node stops. */
export function shadowFlusher(evaluator: ShadowEvaluator, intervalMs: number, log: FastifyBaseLogger) {
  return new PeriodicWorker({
    name: 'shadow divergence flusher',
    intervalMs,
    log,
    runOnStop: true,
    pass: () => evaluator.flush(),
  });
}
