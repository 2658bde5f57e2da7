import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { type Delivery, type DeliveryStatus, deliveryFromRow } from './delivery.js';

/**
 * The queries of the delivery queue. Every state change is a compare-and-set on (status, attempts,
 * lease), so nodes sharing a database never send one attempt twice or overwrite each other's result.
 */

type Db = Kysely<Database>;

export interface NewDelivery {
  readonly id: string;
  readonly tenantId: string;
  readonly channel: string;
  readonly url: string;
  readonly type: string;
  readonly body: string;
  readonly now: number;
}

export async function insertDelivery(db: Db, delivery: NewDelivery): Promise<void> {
  await db
    .insertInto('notification_deliveries')
    .values({
      id: delivery.id,
      tenant_id: delivery.tenantId,
      channel: delivery.channel,
      url: delivery.url,
      type: delivery.type,
      body: delivery.body,
      status: 'pending',
      attempts: 0,
      last_error: null,
      next_attempt_at: delivery.now,
      lease_until: null,
      created_at: delivery.now,
      updated_at: delivery.now,
    })
    .execute();
}

/** What an attempt needs of a due delivery. */
export interface DueDelivery {
  readonly id: string;
  readonly channel: string;
  readonly body: string;
  readonly attempts: number;
}

/** Pending deliveries of these channels whose time has come and that no node holds. */
export async function dueDeliveries(
  db: Db,
  channels: readonly string[],
  now: number,
  limit: number,
): Promise<DueDelivery[]> {
  if (channels.length === 0 || limit <= 0) return [];
  return db
    .selectFrom('notification_deliveries')
    .select(['id', 'channel', 'body', 'attempts'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .where('channel', 'in', [...channels])
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

/**
 * Takes attempt `attempts + 1` of a delivery for this node until `leaseUntil`. Exactly one caller wins
 * for a given attempt: the others find `attempts` moved on, or the lease held.
 */
export async function claimAttempt(
  db: Db,
  claim: { id: string; attempts: number; url: string; now: number; leaseUntil: number },
): Promise<boolean> {
  const result = await db
    .updateTable('notification_deliveries')
    .set({
      attempts: claim.attempts + 1,
      lease_until: claim.leaseUntil,
      url: claim.url,
      updated_at: claim.now,
    })
    .where('id', '=', claim.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claim.attempts)
    .where('next_attempt_at', '<=', claim.now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', claim.now)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * The result of an attempt; ignored when that attempt is no longer the current one (its lease lapsed
 * and another node took the delivery over, or it was replayed meanwhile).
 */
export type AttemptResult =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly error: string; readonly nextAttemptAt: number }
  | { readonly kind: 'dead'; readonly error: string };

export async function recordAttempt(
  db: Db,
  claim: { id: string; attempt: number; leaseUntil: number },
  result: AttemptResult,
  now: number,
): Promise<void> {
  const base = { lease_until: null, updated_at: now };
  const set =
    result.kind === 'delivered'
      ? { ...base, status: 'delivered' as const, last_error: null }
      : result.kind === 'retry'
        ? { ...base, last_error: result.error, next_attempt_at: result.nextAttemptAt }
        : { ...base, status: 'dead' as const, last_error: result.error };
  await db
    .updateTable('notification_deliveries')
    .set(set)
    .where('id', '=', claim.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claim.attempt)
    .where('lease_until', '=', claim.leaseUntil)
    .execute();
}

/**
 * A delivery whose last allowed attempt was taken by a node that never reported back (it stopped)
 * becomes dead once that node's lease lapses; its error stays the last one reported.
 */
export async function buryAbandoned(db: Db, id: string, attempts: number, now: number): Promise<void> {
  await db
    .updateTable('notification_deliveries')
    .set((eb) => ({
      status: 'dead',
      lease_until: null,
      updated_at: now,
      last_error: eb.fn.coalesce('last_error', eb.val('the last attempt never reported back')),
    }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', attempts)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute();
}

export interface DeliveryFilter {
  readonly status?: DeliveryStatus;
  readonly limit: number;
  /** The last id of the previous page. */
  readonly cursor?: string;
}

/** One page of a tenant's deliveries, newest first (ids are time-ordered). */
export async function listDeliveries(
  db: Db,
  tenantId: string,
  filter: DeliveryFilter,
): Promise<{ deliveries: Delivery[]; nextCursor: string | null }> {
  let query = db.selectFrom('notification_deliveries').selectAll().where('tenant_id', '=', tenantId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit).map(deliveryFromRow);
  const last = page[page.length - 1];
  return { deliveries: page, nextCursor: rows.length > filter.limit && last ? last.id : null };
}

export async function findDelivery(db: Db, tenantId: string, id: string): Promise<Delivery | undefined> {
  const row = await db
    .selectFrom('notification_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? deliveryFromRow(row) : undefined;
}

/** Puts a finished (dead or delivered) delivery back to pending, due now, with its attempts reset. */
export async function requeue(db: Db, tenantId: string, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('notification_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', 'in', ['dead', 'delivered'])
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
