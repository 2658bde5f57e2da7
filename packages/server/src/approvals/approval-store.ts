import type { Kysely } from 'kysely';
import { notFound } from '../errors.js';
import type { Dialect, Trx } from '../storage/database.js';
import type { ApprovalStatus, Database } from '../storage/schema.js';
import { type ApprovalRequest, approvalFromRow, approvalToRow, type Vote, voteFromRow } from './approval.js';

export type Reader = Pick<Kysely<Database>, 'selectFrom'>;

export async function findApproval(
  db: Reader,
  tenantId: string,
  id: string,
): Promise<ApprovalRequest | undefined> {
  const row = await db
    .selectFrom('approval_requests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? approvalFromRow(row) : undefined;
}

/**
 * Reads a request inside a write transaction, locking its row on PostgreSQL so votes, deadlines and
 * redemptions on several nodes take turns. SQLite's write transaction already holds the lock.
 */
export async function lockApproval(
  trx: Trx,
  dialect: Dialect,
  tenantId: string,
  id: string,
): Promise<ApprovalRequest> {
  let query = trx
    .selectFrom('approval_requests')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id);
  if (dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('approval request', id);
  return approvalFromRow(row);
}

export async function insertApproval(trx: Trx, request: ApprovalRequest): Promise<void> {
  await trx.insertInto('approval_requests').values(approvalToRow(request)).execute();
}

/** Writes `next` over the version it was derived from; false when another writer got there first. */
export async function saveApproval(
  trx: Trx,
  before: ApprovalRequest,
  next: ApprovalRequest,
): Promise<boolean> {
  const { tenant_id: _t, id: _i, created_at: _c, ...row } = approvalToRow(next);
  const result = await trx
    .updateTable('approval_requests')
    .set(row)
    .where('tenant_id', '=', before.tenantId)
    .where('id', '=', before.id)
    .where('version', '=', before.version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function votesOf(db: Reader, tenantId: string, requestId: string): Promise<Vote[]> {
  const rows = await db
    .selectFrom('approval_votes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('request_id', '=', requestId)
    .orderBy('created_at')
    .execute();
  return rows.map(voteFromRow);
}

/** The votes of several requests, by request id, each in the order cast. */
export async function votesOfMany(
  db: Reader,
  tenantId: string,
  requestIds: readonly string[],
): Promise<Map<string, Vote[]>> {
  const votes = new Map<string, Vote[]>();
  if (requestIds.length === 0) return votes;
  const rows = await db
    .selectFrom('approval_votes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('request_id', 'in', [...requestIds])
    .orderBy('created_at')
    .execute();
  for (const row of rows) {
    const list = votes.get(row.request_id) ?? [];
    list.push(voteFromRow(row));
    votes.set(row.request_id, list);
  }
  return votes;
}

export async function insertVote(trx: Trx, tenantId: string, requestId: string, vote: Vote): Promise<void> {
  await trx
    .insertInto('approval_votes')
    .values({
      tenant_id: tenantId,
      request_id: requestId,
      human_id: vote.humanId,
      step: vote.stage,
      verdict: vote.verdict,
      comment: vote.comment,
      created_at: vote.at,
    })
    .execute();
}

export interface ApprovalFilter {
  readonly status?: ApprovalStatus;
  readonly agentId?: string;
  readonly kind?: string;
  readonly limit: number;
  /** The id of the last request of the previous page (newest first). */
  readonly cursor?: string;
}

/** Newest first, in id order (ids are time-ordered). */
export async function listApprovals(
  db: Reader,
  tenantId: string,
  filter: ApprovalFilter,
  batch: number,
): Promise<ApprovalRequest[]> {
  let query = db.selectFrom('approval_requests').selectAll().where('tenant_id', '=', tenantId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.agentId) query = query.where('agent_id', '=', filter.agentId);
  if (filter.kind) query = query.where('kind', '=', filter.kind as ApprovalRequest['kind']);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query.orderBy('id', 'desc').limit(batch).execute();
  return rows.map(approvalFromRow);
}

/** Pending requests whose deadline has passed, oldest deadline first, across tenants. */
export async function dueApprovals(db: Reader, now: number, limit: number) {
  return db
    .selectFrom('approval_requests')
    .select(['tenant_id', 'id', 'version'])
    .where('status', '=', 'pending')
    .where('deadline_at', '<=', now)
    .orderBy('deadline_at')
    .limit(limit)
    .execute();
}

/** Pending requests whose on-call person has had the request to themself long enough. */
export async function dueOnCallOffers(db: Reader, now: number, limit: number) {
  return db
    .selectFrom('approval_requests')
    .select(['tenant_id', 'id', 'version'])
    .where('status', '=', 'pending')
    .where('oncall_until', '<=', now)
    .limit(limit)
    .execute();
}
