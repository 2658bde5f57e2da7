import { sql } from 'kysely';
import type { Storage } from '../../storage/database.js';

export interface DivergenceCount {
  readonly key: string;
  /** `allow→deny`, `deny→allow`, …: the active answer, then the shadow's. */
  readonly transition: string;
  readonly count: number;
}

export interface ShadowReport {
  readonly running: {
    readonly version: string;
    readonly startedAt: number;
    readonly startedBy: string;
  } | null;
  /** The shadow version reported on: the running one, or the one asked for. */
  readonly version: string | null;
  readonly since: number | null;
  /** Decisions the policy decided since the shadow started (every node), so divergences have a scale. */
  readonly decisions: number | null;
  readonly divergences: number;
  readonly byRule: readonly (DivergenceCount & {
    readonly activeRule: string | null;
    readonly shadowRule: string | null;
  })[];
  readonly byTool: readonly DivergenceCount[];
  readonly byAgent: readonly DivergenceCount[];
  readonly examples: readonly {
    readonly decisionId: string;
    readonly agentId: string;
    readonly tool: string;
    readonly transition: string;
    readonly activeRule: string | null;
    readonly shadowRule: string | null;
    readonly at: number;
  }[];
}

const TOP = 50;

/** Divergences of one shadow version, counted by rule, tool and agent (the most frequent first). */
export async function shadowReport(
  storage: Storage,
  tenantId: string,
  running: ShadowReport['running'],
  asked: { readonly version?: string; readonly since?: number },
): Promise<ShadowReport> {
  const version = asked.version ?? running?.version ?? (await latestVersion(storage, tenantId));
  const since = asked.since ?? (running && running.version === version ? running.startedAt : null);
  if (!version) {
    return {
      running,
      version: null,
      since,
      decisions: null,
      divergences: 0,
      byRule: [],
      byTool: [],
      byAgent: [],
      examples: [],
    };
  }
  let base = storage.db
    .selectFrom('policy_shadow_divergences')
    .where('tenant_id', '=', tenantId)
    .where('shadow_version', '=', version);
  if (since !== null) base = base.where('created_at', '>=', since);
  const count = sql<number>`count(*)`.as('count');
  const [rules, tools, agents, examples] = await Promise.all([
    base
      .select(['active_effect', 'shadow_effect', 'active_rule', 'shadow_rule', count])
      .groupBy(['active_effect', 'shadow_effect', 'active_rule', 'shadow_rule'])
      .orderBy('count', 'desc')
      .limit(TOP)
      .execute(),
    base
      .select(['active_effect', 'shadow_effect', 'tool', count])
      .groupBy(['active_effect', 'shadow_effect', 'tool'])
      .orderBy('count', 'desc')
      .limit(TOP)
      .execute(),
    base
      .select(['active_effect', 'shadow_effect', 'agent_id', count])
      .groupBy(['active_effect', 'shadow_effect', 'agent_id'])
      .orderBy('count', 'desc')
      .limit(TOP)
      .execute(),
    base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(10).execute(),
  ]);
  const total = await base.select(count).executeTakeFirst();
  const decisions =
    since === null
      ? null
      : await storage.db
          .selectFrom('decisions')
          .select(count)
          .where('tenant_id', '=', tenantId)
          .where('created_at', '>=', since)
          .where('policy_input', 'is not', null)
          .executeTakeFirst();
  const transition = (r: { active_effect: string; shadow_effect: string }) =>
    `${r.active_effect}→${r.shadow_effect}`;
  return {
    running,
    version,
    since,
    decisions: decisions ? Number(decisions.count) : null,
    divergences: Number(total?.count ?? 0),
    byRule: rules.map((r) => ({
      key: `${r.active_rule ?? '(none)'} → ${r.shadow_rule ?? '(none)'}`,
      activeRule: r.active_rule,
      shadowRule: r.shadow_rule,
      transition: transition(r),
      count: Number(r.count),
    })),
    byTool: tools.map((r) => ({ key: r.tool, transition: transition(r), count: Number(r.count) })),
    byAgent: agents.map((r) => ({ key: r.agent_id, transition: transition(r), count: Number(r.count) })),
    examples: examples.map((r) => ({
      decisionId: r.decision_id,
      agentId: r.agent_id,
      tool: r.tool,
      transition: transition(r),
      activeRule: r.active_rule,
      shadowRule: r.shadow_rule,
      at: Number(r.created_at),
    })),
  };
}

async function latestVersion(storage: Storage, tenantId: string): Promise<string | null> {
  const row = await storage.db
    .selectFrom('policy_shadow_divergences')
    .select('shadow_version')
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.shadow_version ?? null;
}
