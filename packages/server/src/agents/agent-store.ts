import { type Kysely, type SqlBool, sql } from 'kysely';
import type { Dialect, Trx } from '../storage/database.js';
import type { Database } from '../storage/schema.js';
import {
  type Agent,
  type AgentStatus,
  agentFromRow,
  type Environment,
  type RiskClass,
  type TrustTier,
} from './agent.js';

/** Agent queries. Every one is scoped to a tenant: another tenant's agent simply does not exist. */

export async function findAgent(
  db: Kysely<Database>,
  tenantId: string,
  agentId: string,
): Promise<Agent | undefined> {
  const row = await db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', agentId)
    .executeTakeFirst();
  return row && agentFromRow(row);
}

/**
 * Reads an agent inside a write transaction and holds it until commit, so read-check-write sequences
 * (transitions, spawn limits) cannot interleave. SQLite's write transaction is already exclusive.
 */
export async function findAgentForWrite(
  trx: Trx,
  dialect: Dialect,
  tenantId: string,
  agentId: string,
): Promise<Agent | undefined> {
  const row = await trx
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', agentId)
    .$if(dialect === 'postgres', (qb) => qb.forUpdate())
    .executeTakeFirst();
  return row && agentFromRow(row);
}

export async function isNameTaken(db: Kysely<Database>, tenantId: string, name: string): Promise<boolean> {
  const row = await db
    .selectFrom('agents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return row !== undefined;
}

export async function childIds(db: Kysely<Database>, tenantId: string, parentId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('agents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('parent_id', '=', parentId)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

export async function countLiveChildren(
  db: Kysely<Database>,
  tenantId: string,
  parentId: string,
): Promise<number> {
  const row = await db
    .selectFrom('agents')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('parent_id', '=', parentId)
    .where('status', '<>', 'retired')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface HumanRef {
  readonly id: string;
  readonly email: string;
  readonly name: string;
}

export async function findHuman(
  db: Kysely<Database>,
  tenantId: string,
  humanId: string,
  options: { activeOnly?: boolean } = {},
): Promise<HumanRef | undefined> {
  let query = db
    .selectFrom('humans')
    .select(['id', 'email', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', humanId);
  if (options.activeOnly) query = query.where('status', '=', 'active');
  return query.executeTakeFirst();
}

/** Owners must be people who can still answer for the agent: active humans of the same tenant. */
export function findActiveHuman(db: Kysely<Database>, tenantId: string, humanId: string) {
  return findHuman(db, tenantId, humanId, { activeOnly: true });
}

export interface AgentFilter {
  readonly owner?: string;
  readonly status?: AgentStatus;
  readonly tier?: TrustTier;
  readonly risk?: RiskClass;
  readonly environment?: Environment;
  readonly role?: string;
  readonly activeSince?: number;
  readonly inactiveSince?: number;
  readonly limit: number;
  readonly cursor?: string;
}

/** One page in id order; `nextCursor` is the last id when more rows follow. */
export async function listAgents(
  db: Kysely<Database>,
  tenantId: string,
  filter: AgentFilter,
): Promise<{ agents: Agent[]; nextCursor: string | null }> {
  let query = db.selectFrom('agents').selectAll().where('tenant_id', '=', tenantId);
  if (filter.owner !== undefined) query = query.where('owner_id', '=', filter.owner);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.tier !== undefined) query = query.where('tier', '=', filter.tier);
  if (filter.risk !== undefined) query = query.where('risk', '=', filter.risk);
  if (filter.environment !== undefined) query = query.where(jsonArrayHas('environments', filter.environment));
  if (filter.role !== undefined) query = query.where(jsonArrayHas('roles', filter.role));
  const { activeSince, inactiveSince, cursor } = filter;
  if (activeSince !== undefined) query = query.where('last_active_at', '>=', activeSince);
  if (inactiveSince !== undefined) {
    query = query.where((eb) =>
      eb.or([eb('last_active_at', 'is', null), eb('last_active_at', '<', inactiveSince)]),
    );
  }
  if (cursor !== undefined) query = query.where('id', '>', cursor);
  const rows = await query
    .orderBy('id')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit).map(agentFromRow);
  const last = page[page.length - 1];
  return { agents: page, nextCursor: rows.length > filter.limit && last ? last.id : null };
}

/**
 * Membership in a JSON array column of plain strings, portable across both databases. Values are
 * pattern-checked (no quotes), and LIKE's wildcards are escaped, so the match is exact.
 */
export function jsonArrayHas(column: 'environments' | 'roles' | 'a.roles', value: string) {
  const pattern = `%${JSON.stringify(value).replace(/[\\%_]/g, '\\$&')}%`;
  return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
}
