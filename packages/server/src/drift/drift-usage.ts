import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/schema.js';

type Db = Kysely<Database>;

/** One group of an agent's decisions in the window: same tool, deciding rule or grant, code and effect. */
export interface UsageGroup {
  readonly agentId: string;
  readonly tool: string;
  /** The deciding rule's id, or the temporary grant's id when `code` is `grant`. */
  readonly decidedBy: string | null;
  readonly code: string;
  readonly effect: string;
  readonly calls: number;
  readonly lastAt: number;
}

/** How many agents used a rule for a tool in the window. */
export interface RuleToolUse {
  readonly rule: string;
  readonly tool: string;
  readonly agents: number;
}

export interface UsageWindow {
  readonly tenantId: string;
  readonly from: number;
  readonly to: number;
}

// Well under SQLite's and PostgreSQL's limits on bound parameters.
const IN_LIST_CHUNK = 500;

/**
 * What the agents did in the window, aggregated by the database: one row per agent, tool, deciding
 * rule (or grant), code and effect, however many decisions that is. `agentIds` undefined means every
 * agent of the tenant (one range scan, no list of ids).
 */
export async function usageGroups(
  db: Db,
  window: UsageWindow,
  agentIds: readonly string[] | undefined,
): Promise<UsageGroup[]> {
  if (agentIds === undefined) return usageQuery(db, window, undefined);
  const groups: UsageGroup[] = [];
  for (let i = 0; i < agentIds.length; i += IN_LIST_CHUNK) {
    groups.push(...(await usageQuery(db, window, agentIds.slice(i, i + IN_LIST_CHUNK))));
  }
  return groups;
}

async function usageQuery(
  db: Db,
  window: UsageWindow,
  agentIds: readonly string[] | undefined,
): Promise<UsageGroup[]> {
  if (agentIds?.length === 0) return [];
  let query = db
    .selectFrom('decisions')
    .select([
      'agent_id',
      'tool',
      'deciding_rule',
      'code',
      'effect',
      sql<number | string>`count(*)`.as('calls'),
      sql<number | string>`max(created_at)`.as('last_at'),
    ])
    .where('tenant_id', '=', window.tenantId)
    .where('created_at', '>=', window.from)
    .where('created_at', '<', window.to);
  if (agentIds) query = query.where('agent_id', 'in', [...agentIds]);
  const rows = await query.groupBy(['agent_id', 'tool', 'deciding_rule', 'code', 'effect']).execute();
  return rows.map((row) => ({
    agentId: row.agent_id,
    tool: row.tool,
    decidedBy: row.deciding_rule,
    code: row.code,
    effect: row.effect,
    calls: Number(row.calls),
    lastAt: Number(row.last_at),
  }));
}

/**
 * For the given rules, which tools they allowed or sent to review in the window and for how many
 * agents, across the tenant: a rule narrowed to these tools takes nothing any agent used.
 */
export async function ruleToolUses(
  db: Db,
  window: UsageWindow,
  ruleIds: readonly string[],
): Promise<RuleToolUse[]> {
  const uses: RuleToolUse[] = [];
  for (let i = 0; i < ruleIds.length; i += IN_LIST_CHUNK) {
    const rows = await db
      .selectFrom('decisions')
      .select(['deciding_rule', 'tool', sql<number | string>`count(distinct agent_id)`.as('agents')])
      .where('tenant_id', '=', window.tenantId)
      .where('created_at', '>=', window.from)
      .where('created_at', '<', window.to)
      .where('code', '=', 'rule')
      .where('effect', 'in', ['allow', 'review'])
      .where('deciding_rule', 'in', ruleIds.slice(i, i + IN_LIST_CHUNK))
      .groupBy(['deciding_rule', 'tool'])
      .execute();
    for (const row of rows) {
      if (row.deciding_rule !== null) {
        uses.push({ rule: row.deciding_rule, tool: row.tool, agents: Number(row.agents) });
      }
    }
  }
  return uses;
}
