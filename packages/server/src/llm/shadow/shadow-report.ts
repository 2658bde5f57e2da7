import type { Storage } from '../../storage/database.js';
import type { LlmShadowRunsTable } from '../../storage/schema.js';

export interface ShadowReportQuery {
  readonly tenantId: string;
  readonly from: number;
  readonly to: number;
  readonly agentId?: string;
  /** Only pairs where this model is the agent's or the shadow's (a model id, or provider/model). */
  readonly model?: string;
}

/** Percentiles of a figure over the runs that have it; null when none has. */
export interface Spread {
  readonly p50: number | null;
  readonly p95: number | null;
}

export interface ToolChoiceExample {
  readonly decisionId: string;
  readonly primary: readonly string[];
  readonly shadow: readonly string[];
}

/** One model and its shadow: how the two compared on the calls both answered. */
export interface ShadowPair {
  readonly primary: string;
  readonly shadow: string;
  readonly runs: number;
  /** Both answered: the figures below are over these. */
  readonly compared: number;
  readonly shadowFailed: number;
  readonly primaryFailed: number;
  /** Not sent, by reason (budget_exhausted, hosted_tools, ...). */
  readonly skipped: Readonly<Record<string, number>>;
  readonly tokens: {
    readonly primary: { readonly input: number; readonly output: number };
    readonly shadow: { readonly input: number; readonly output: number };
    /** The shadow's output tokens against the agent model's, in percent (+20: 20 % more). */
    readonly outputChangePercent: number | null;
  };
  readonly costUsd: {
    readonly primary: number;
    readonly shadow: number;
    readonly changePercent: number | null;
    /** What every shadow call of the window cost the rule's budget, failed ones included. */
    readonly shadowSpent: number;
  };
  readonly toolCalls: {
    /** Compared calls where either model called a tool. */
    readonly withTools: number;
    /** Of all compared calls, those where the two chose other tools (or another order). */
    readonly differ: number;
    readonly differRate: number | null;
    readonly examples: readonly ToolChoiceExample[];
  };
  readonly similarity: {
    readonly mean: number | null;
    readonly p10: number | null;
    readonly p50: number | null;
    /** Compared calls whose answers are less than half alike. */
    readonly below50: number;
  };
  readonly latencyMs: { readonly primary: Spread; readonly shadow: Spread };
  /** Streamed calls only: time to the first event. */
  readonly firstTokenMs: { readonly primary: Spread; readonly shadow: Spread };
}

export interface ShadowReport {
  readonly from: string;
  readonly to: string;
  readonly pairs: readonly ShadowPair[];
  /** Set when the window held more runs than a report reads: the newest were read. */
  readonly truncated: boolean;
}

/** The most runs one report reads (the newest of the window). */
export const MAX_REPORT_RUNS = 200_000;
const EXAMPLES = 5;

/** Shadow mode's answer to "is the new model ready?": both sides compared, per model pair. */
export async function shadowReport(storage: Storage, query: ShadowReportQuery): Promise<ShadowReport> {
  let select = storage.db
    .selectFrom('llm_shadow_runs')
    .selectAll()
    .where('tenant_id', '=', query.tenantId)
    .where('created_at', '>=', query.from)
    .where('created_at', '<', query.to);
  if (query.agentId) select = select.where('agent_id', '=', query.agentId);
  const rows = await select
    .orderBy('created_at', 'desc')
    .limit(MAX_REPORT_RUNS + 1)
    .execute();
  const truncated = rows.length > MAX_REPORT_RUNS;
  const groups = new Map<string, LlmShadowRunsTable[]>();
  for (const row of rows.slice(0, MAX_REPORT_RUNS)) {
    const primary = `${row.primary_provider}/${row.primary_model}`;
    const shadow = row.shadow_provider ? `${row.shadow_provider}/${row.shadow_model}` : row.shadow_model;
    if (query.model && !names(query.model, row, primary, shadow)) continue;
    const key = `${primary}\u0000${shadow}`;
    const group = groups.get(key) ?? [];
    group.push(row);
    groups.set(key, group);
  }
  const pairs = [...groups.entries()]
    .map(([key, group]) => {
      const [primary, shadow] = key.split('\u0000') as [string, string];
      return pairOf(primary, shadow, group);
    })
    .sort((a, b) => b.runs - a.runs);
  return { from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), pairs, truncated };
}

function names(model: string, row: LlmShadowRunsTable, primary: string, shadow: string): boolean {
  return [row.primary_model, row.shadow_model, primary, shadow].includes(model);
}

function pairOf(primary: string, shadow: string, rows: readonly LlmShadowRunsTable[]): ShadowPair {
  const compared = rows.filter((r) => r.status === 'compared');
  const skipped: Record<string, number> = {};
  for (const row of rows) {
    if (row.status !== 'skipped') continue;
    const reason = (row.reason ?? 'unknown').split(':')[0] as string;
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  }
  const sum = (pick: (r: LlmShadowRunsTable) => number | null) =>
    compared.reduce((total, r) => total + Number(pick(r) ?? 0), 0);
  const tokens = {
    primary: { input: sum((r) => r.primary_input_tokens), output: sum((r) => r.primary_output_tokens) },
    shadow: { input: sum((r) => r.shadow_input_tokens), output: sum((r) => r.shadow_output_tokens) },
  };
  const micros = {
    primary: sum((r) => r.primary_cost_micros),
    shadow: sum((r) => r.shadow_cost_micros),
    spent: rows.reduce((total, r) => total + Number(r.shadow_cost_micros ?? 0), 0),
  };
  const toolsOf = (text: string | null) => (text ? (JSON.parse(text) as string[]) : []);
  const differing = compared.filter((r) => Number(r.tools_differ) === 1);
  const similarities = compared.map((r) => Number(r.similarity)).sort((a, b) => a - b);
  const streamed = compared.filter((r) => Number(r.streamed) === 1);
  return {
    primary,
    shadow,
    runs: rows.length,
    compared: compared.length,
    shadowFailed: rows.filter((r) => r.status === 'shadow_failed').length,
    primaryFailed: rows.filter((r) => r.status === 'primary_failed').length,
    skipped,
    tokens: { ...tokens, outputChangePercent: change(tokens.primary.output, tokens.shadow.output) },
    costUsd: {
      primary: micros.primary / 1_000_000,
      shadow: micros.shadow / 1_000_000,
      changePercent: change(micros.primary, micros.shadow),
      shadowSpent: micros.spent / 1_000_000,
    },
    toolCalls: {
      withTools: compared.filter((r) => toolsOf(r.primary_tools).length + toolsOf(r.shadow_tools).length > 0)
        .length,
      differ: differing.length,
      differRate: compared.length === 0 ? null : round(differing.length / compared.length),
      examples: differing.slice(0, EXAMPLES).map((r) => ({
        decisionId: r.decision_id,
        primary: toolsOf(r.primary_tools),
        shadow: toolsOf(r.shadow_tools),
      })),
    },
    similarity: {
      mean:
        similarities.length === 0
          ? null
          : round(similarities.reduce((a, b) => a + b, 0) / similarities.length),
      p10: percentile(similarities, 0.1),
      p50: percentile(similarities, 0.5),
      below50: similarities.filter((s) => s < 0.5).length,
    },
    latencyMs: {
      primary: spread(compared.map((r) => r.primary_latency_ms)),
      shadow: spread(compared.map((r) => r.shadow_latency_ms)),
    },
    firstTokenMs: {
      primary: spread(streamed.map((r) => r.primary_ttft_ms)),
      shadow: spread(streamed.map((r) => r.shadow_ttft_ms)),
    },
  };
}

function change(before: number, after: number): number | null {
  return before === 0 ? null : round(((after - before) / before) * 100);
}

function spread(values: readonly (number | null)[]): Spread {
  const sorted = values
    .filter((v): v is number => v !== null)
    .map(Number)
    .sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
