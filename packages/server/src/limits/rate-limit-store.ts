import type { Kysely } from 'kysely';
import type { TrustTier } from '../agents/agent.js';
import { WardenError } from '../errors.js';
import { newId } from '../ids.js';
import type { Trx } from '../storage/database.js';
import type { Database, RateLimitsTable } from '../storage/schema.js';
import {
  type RateLimitRule,
  type RateLimitRuleInput,
  type RateLimitScope,
  type RateLimitSource,
  ruleChanges,
} from './rate-limit-rules.js';

/** Queries of the `rate_limits` table; the same SQL on SQLite and PostgreSQL. */

export function ruleFromRow(row: RateLimitsTable): RateLimitRule {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    scope: row.scope as RateLimitScope,
    agentId: row.agent_id,
    tier: row.tier as TrustTier | null,
    tool: row.tool,
    maxCalls: row.max_calls,
    windowSeconds: row.window_seconds,
    source: row.source as RateLimitSource,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function definitionColumns(rule: RateLimitRuleInput) {
  return {
    name: rule.name,
    scope: rule.scope,
    agent_id: rule.agentId,
    tier: rule.tier,
    tool: rule.tool,
    max_calls: rule.maxCalls,
    window_seconds: rule.windowSeconds,
  };
}

export async function listRules(db: Kysely<Database>, tenantId: string): Promise<RateLimitRule[]> {
  const rows = await db
    .selectFrom('rate_limits')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .execute();
  return rows.map(ruleFromRow);
}

export async function findRule(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<RateLimitRule | null> {
  const row = await db
    .selectFrom('rate_limits')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? ruleFromRow(row) : null;
}

export async function findRuleByName(
  db: Kysely<Database>,
  tenantId: string,
  name: string,
): Promise<RateLimitRule | null> {
  const row = await db
    .selectFrom('rate_limits')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? ruleFromRow(row) : null;
}

export async function insertRule(
  trx: Trx,
  tenantId: string,
  input: RateLimitRuleInput,
  source: RateLimitSource,
  now: number,
): Promise<RateLimitRule> {
  const id = newId('rtl', now);
  await trx
    .insertInto('rate_limits')
    .values({
      tenant_id: tenantId,
      id,
      ...definitionColumns(input),
      source,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { ...input, id, tenantId, source, createdAt: now, updatedAt: now };
}

export async function updateRule(
  trx: Trx,
  before: RateLimitRule,
  input: RateLimitRuleInput,
  now: number,
): Promise<RateLimitRule> {
  await trx
    .updateTable('rate_limits')
    .set({ ...definitionColumns(input), updated_at: now })
    .where('tenant_id', '=', before.tenantId)
    .where('id', '=', before.id)
    .execute();
  return { ...before, ...input, updatedAt: now };
}

export async function deleteRule(trx: Trx, rule: RateLimitRule): Promise<void> {
  await trx
    .deleteFrom('rate_limits')
    .where('tenant_id', '=', rule.tenantId)
    .where('id', '=', rule.id)
    .execute();
}

export interface RateLimitChanges {
  readonly created: readonly RateLimitRule[];
  readonly updated: readonly { readonly before: RateLimitRule; readonly after: RateLimitRule }[];
  readonly deleted: readonly RateLimitRule[];
}

export function hasChanges(changes: RateLimitChanges): boolean {
  return changes.created.length + changes.updated.length + changes.deleted.length > 0;
}

/**
 * Makes the tenant's `config` rules equal to `rules` (already checked, names unique), matched by name:
 * missing ones are deleted, differing ones updated (keeping their id, so their counters carry on), new
 * ones created. Unchanged rules are left alone, so reloading the same file changes nothing. A name
 * held by an API rule is a conflict: the file does not silently take over a rule someone made by hand.
 */
export async function replaceFromConfig(
  trx: Trx,
  tenantId: string,
  rules: readonly RateLimitRuleInput[],
  now: number,
): Promise<RateLimitChanges> {
  const existing = await listRules(trx, tenantId);
  const byName = new Map(existing.map((rule) => [rule.name, rule]));
  const wanted = new Set(rules.map((rule) => rule.name));
  const deleted: RateLimitRule[] = [];
  for (const rule of existing) {
    if (rule.source === 'config' && !wanted.has(rule.name)) {
      await deleteRule(trx, rule);
      deleted.push(rule);
    }
  }
  const created: RateLimitRule[] = [];
  const updated: { before: RateLimitRule; after: RateLimitRule }[] = [];
  for (const input of rules) {
    const before = byName.get(input.name);
    if (!before) {
      created.push(await insertRule(trx, tenantId, input, 'config', now));
    } else if (before.source !== 'config') {
      throw new WardenError(
        'conflict',
        `rate limit ${input.name} exists and is managed through the API; rename one of them`,
        {
          name: input.name,
        },
      );
    } else if (Object.keys(ruleChanges(before, input)).length > 0) {
      updated.push({ before, after: await updateRule(trx, before, input, now) });
    }
  }
  return { created, updated, deleted };
}
