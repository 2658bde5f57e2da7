import type { IncomingHttpHeaders } from 'node:http';
import type { JsonValue } from '@warden/policy';
import type { AuditActor, AuditLog } from '../../audit/audit-log.js';
import { capJson } from '../../audit/cap.js';
import type { DataProtection } from '../../audit/data-protection.js';
import type { BudgetCache } from '../../budgets/budget-cache.js';
import type { CrossingNotices } from '../../budgets/crossing-effects.js';
import type { Reservations } from '../../budgets/reservations.js';
import type { AgentPrincipal } from '../../credentials/principal.js';
import type { RecordedDecision } from '../../decisions/decision.js';
import { newId } from '../../ids.js';
import { type Storage, writeTransaction } from '../../storage/database.js';
import type { ModelUsage } from '../costing.js';
import { costingFor } from '../costing.js';
import type { ApiAdapter } from '../http/proxy-call.js';
import { kept } from '../llm-call.js';
import { type ModelRoute, routeModel } from '../model-route.js';
import type { ProviderRegistry } from '../provider-registry.js';
import { askShadow, type ShadowAnswer } from './ask-shadow.js';
import { textSimilarity, toolsDiffer } from './compare.js';
import { holdShadowBudget } from './shadow-budget.js';
import type { ShadowRule } from './shadow-rule.js';

/** What became of the agent's own call, as the comparison needs it. */
export interface PrimaryResult {
  readonly status: 'succeeded' | 'failed';
  readonly usage?: ModelUsage;
  readonly costUsd: number;
  readonly answer: string;
  readonly toolCalls: readonly string[];
  /** From sending to the provider to its last byte; null when it was never sent. */
  readonly latencyMs: number | null;
  readonly firstTokenMs?: number;
}

/** The proxy's handle on a shadow run: it tells the run how its own call ended, once. */
export interface ShadowHandle {
  primaryDone(result: PrimaryResult): void;
}

/** A model call the proxy allowed and is about to send. */
export interface ShadowCandidate<B> {
  readonly principal: AgentPrincipal;
  readonly adapter: ApiAdapter<B>;
  readonly body: B;
  readonly route: ModelRoute;
  readonly decision: RecordedDecision;
  /** The call's policy args: a call that has the provider run hosted tools is never shadowed. */
  readonly args: Record<string, unknown>;
  readonly inputTokens: number;
  readonly maxOutputTokens: number;
  readonly stream: boolean;
  readonly incoming: IncomingHttpHeaders;
}

export interface ShadowRunnerDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly budgets: BudgetCache;
  readonly reservations: Reservations;
  readonly crossings: CrossingNotices;
  readonly protection: DataProtection;
  readonly providers: ProviderRegistry;
  readonly maxOutputBytes: number;
  readonly reservationTtlMs: number;
  readonly clock: () => number;
  /** Draws whether a call is in the rule's share; `Math.random` but in tests. */
  readonly random: () => number;
  readonly track: (work: Promise<void>) => void;
  readonly log: {
    error(details: Record<string, unknown>, message: string): void;
    warn(details: Record<string, unknown>, message: string): void;
  };
}

const SHADOW_ACTOR: AuditActor = { type: 'system', id: 'llm-shadow' };

type Skipped = { readonly skipped: string; readonly reason: string };

/**
 * Shadow mode: a share of the calls to a model also go, unchanged but for the model, to the shadow
 * model its provider names — sent beside the agent's own call, so the agent waits for nothing. The
 * shadow's answer is never returned and its tool calls never run (nothing runs them: Warden only
 * records it); a call that has the provider run hosted tools is not shadowed, since the provider
 * would run them for the shadow too. Its worst case is reserved on the rule's tenant budget and
 * settled to its cost; both sides' figures and their comparison are stored for the report, the
 * shadow's answer audited like the agent's.
 */
export class ShadowRunner {
  private readonly stopping = new AbortController();
  private readonly pending = new Set<(result: PrimaryResult) => void>();

  constructor(private readonly deps: ShadowRunnerDeps) {}

  /** Starts a shadow run when the call's model has a rule and the draw falls in its share. */
  start<B>(call: ShadowCandidate<B>): ShadowHandle | undefined {
    const rule = call.route.provider.shadows[call.route.model];
    if (!rule || !call.adapter.shadowBody || this.stopping.signal.aborted) return undefined;
    if (!(this.deps.random() < rule.share)) return undefined;
    let settle!: (result: PrimaryResult) => void;
    const primary = new Promise<PrimaryResult>((resolve) => {
      settle = resolve;
    });
    const done = (result: PrimaryResult) => {
      if (!this.pending.delete(done)) return;
      settle(result);
    };
    this.pending.add(done);
    this.deps.track(
      this.run(call, rule, primary).catch((error: unknown) =>
        this.deps.log.error(
          { err: error, decisionId: call.decision.decisionId },
          'LLM shadow run not recorded',
        ),
      ),
    );
    return { primaryDone: done };
  }

  /** Stops the shadow calls in flight (recorded as failed) and lets runs waiting for their call end. */
  stop(): void {
    this.stopping.abort();
    for (const done of [...this.pending]) {
      done({ status: 'failed', costUsd: 0, answer: '', toolCalls: [], latencyMs: null });
    }
  }

  private async run<B>(call: ShadowCandidate<B>, rule: ShadowRule, primary: Promise<PrimaryResult>) {
    const runId = newId('shd', this.deps.clock());
    const target = routeModel(this.deps.providers.of(call.principal.tenantId), call.adapter.api, rule.shadow);
    const shadowRoute = 'reason' in target ? undefined : target;
    const answer = await this.ask(call, rule, runId, shadowRoute);
    await this.record(call, runId, rule, shadowRoute, answer, await primary);
  }

  /** Plans, holds the budget for and sends the shadow call; or says why not. */
  private async ask<B>(
    call: ShadowCandidate<B>,
    rule: ShadowRule,
    runId: string,
    route: ModelRoute | undefined,
  ): Promise<ShadowAnswer | Skipped> {
    if (!route)
      return { skipped: 'shadow_model_unknown', reason: `no provider of this tenant serves ${rule.shadow}` };
    const hosted = call.args.hosted_tools;
    if (Array.isArray(hosted) && hosted.length > 0) {
      return {
        skipped: 'hosted_tools',
        reason: `the provider would run the hosted tools (${hosted.join(', ')}) for the shadow too`,
      };
    }
    const costing = costingFor(route);
    if (!costing) return { skipped: 'unpriced_model', reason: `no price is known for ${route.tool}` };
    const { tenantId, agentId } = call.principal;
    const now = this.deps.clock();
    const worstCase = {
      usd: costing.worstCaseUsd(call.inputTokens, call.maxOutputTokens),
      tokens: call.inputTokens + call.maxOutputTokens,
    };
    const held = await writeTransaction(this.deps.storage, async (trx) => {
      const result = await holdShadowBudget(trx, this.deps.storage.dialect, {
        cache: this.deps.budgets,
        tenantId,
        agentId,
        runId,
        budgetName: rule.budget,
        worstCase,
        ttlMs: Math.max(this.deps.reservationTtlMs, route.provider.timeoutMs * 2),
        now,
      });
      if (result.events.length > 0) await this.deps.audit.append(trx, tenantId, [...result.events]);
      return result;
    });
    if (held.crossings.length > 0) void this.deps.crossings.announce(tenantId, held.crossings, now);
    if (held.skip) return { skipped: held.skip.reason, reason: held.skip.message };
    const body = (call.adapter.shadowBody as (body: B) => B)(call.body);
    return askShadow({
      adapter: call.adapter,
      body,
      route,
      costing,
      inputTokens: call.inputTokens,
      stream: call.stream,
      incoming: call.incoming,
      key: () => this.deps.providers.apiKey(tenantId, route.provider),
      stop: this.stopping.signal,
    });
  }

  /** Settles the shadow's reservation and stores both sides, with the shadow's answer audited. */
  private async record<B>(
    call: ShadowCandidate<B>,
    runId: string,
    rule: ShadowRule,
    route: ModelRoute | undefined,
    shadow: ShadowAnswer | Skipped,
    primary: PrimaryResult,
  ): Promise<void> {
    const { tenantId, agentId } = call.principal;
    const now = this.deps.clock();
    const ran = 'skipped' in shadow ? undefined : shadow;
    const status =
      'skipped' in shadow
        ? 'skipped'
        : primary.status !== 'succeeded'
          ? 'primary_failed'
          : shadow.status !== 'succeeded'
            ? 'shadow_failed'
            : 'compared';
    const compared = status === 'compared' && ran;
    const similarity = compared ? textSimilarity(primary.answer, ran.answer) : null;
    const differ = compared ? toolsDiffer(primary.toolCalls, ran.toolCalls) : null;
    const stored = ran
      ? await this.deps.protection.protect(
          tenantId,
          {
            completion: capJson(kept(ran.answer) as unknown as JsonValue, this.deps.maxOutputBytes),
            ...(ran.error ? { error: ran.error } : {}),
          },
          now,
        )
      : undefined;
    const micros = (usd: number) => Math.round(usd * 1_000_000);
    const settled = await writeTransaction(this.deps.storage, async (trx) => {
      const result = ran
        ? await this.deps.reservations.settleHeld(trx, this.deps.storage.dialect, {
            tenantId,
            decisionId: runId,
            actual: { usd: ran.costUsd, tokens: ran.tokens },
            now,
          })
        : undefined;
      await trx
        .insertInto('llm_shadow_runs')
        .values({
          tenant_id: tenantId,
          id: runId,
          decision_id: call.decision.decisionId,
          agent_id: agentId,
          created_at: now,
          primary_provider: call.route.provider.name,
          primary_model: call.route.model,
          shadow_provider: route?.provider.name ?? null,
          shadow_model: route?.model ?? rule.shadow,
          status,
          reason: 'skipped' in shadow ? `${shadow.skipped}: ${shadow.reason}` : (ran?.error ?? null),
          streamed: call.stream ? 1 : 0,
          primary_input_tokens: primary.usage?.inputTokens ?? null,
          primary_output_tokens: primary.usage?.outputTokens ?? null,
          primary_cost_micros: primary.latencyMs === null ? null : micros(primary.costUsd),
          primary_latency_ms: primary.latencyMs === null ? null : Math.round(primary.latencyMs),
          primary_ttft_ms: primary.firstTokenMs === undefined ? null : Math.round(primary.firstTokenMs),
          primary_tools: JSON.stringify(primary.toolCalls),
          shadow_input_tokens: ran?.usage?.inputTokens ?? null,
          shadow_output_tokens: ran?.usage?.outputTokens ?? null,
          shadow_cost_micros: ran ? micros(ran.costUsd) : null,
          shadow_latency_ms: ran?.latencyMs === undefined ? null : Math.round(ran.latencyMs),
          shadow_ttft_ms: ran?.firstTokenMs === undefined ? null : Math.round(ran.firstTokenMs),
          shadow_tools: ran ? JSON.stringify(ran.toolCalls) : null,
          tools_differ: differ === null ? null : differ ? 1 : 0,
          similarity,
        })
        .execute();
      if (ran && route && stored) {
        await this.deps.audit.append(trx, tenantId, [
          {
            type: 'llm.shadow',
            actor: SHADOW_ACTOR,
            subject: { type: 'decision', id: call.decision.decisionId },
            ...(call.decision.taskId ? { task: { id: call.decision.taskId } } : {}),
            tool: route.tool,
            outcome: ran.status,
            payload: {
              ...stored.value,
              shadowRunId: runId,
              decisionId: call.decision.decisionId,
              agentId,
              shadows: call.route.tool,
              provider: route.provider.name,
              model: route.model,
              budget: rule.budget,
              status,
              usage: ran.usage ? { ...ran.usage } : null,
              costUsd: ran.costUsd,
              latencyMs: Math.round(ran.latencyMs),
              toolCalls: [...ran.toolCalls],
              primaryToolCalls: [...primary.toolCalls],
              similarity,
            },
            redactions: stored.counts,
            at: now,
          },
          ...(result?.events ?? []),
        ]);
      }
      return result;
    });
    if (settled && settled.crossings.length > 0) {
      void this.deps.crossings.announce(tenantId, settled.crossings, now);
    }
  }
}
