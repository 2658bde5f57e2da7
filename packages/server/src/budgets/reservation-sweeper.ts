import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import { type Storage, writeTransaction } from '../storage/database.js';
import type { CrossingNotices } from './crossing-effects.js';
import type { Reservations } from './reservations.js';

export interface ReservationSweeperDeps {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly reservations: Reservations;
  readonly crossings: CrossingNotices;
  readonly clock: () => number;
  readonly intervalMs: number;
  readonly log: FastifyBaseLogger;
}

const BATCH = 100;

/**
 * Every node sweeps stale reservations; each is settled under its row lock and only while still
 * held, so a reservation expires once however many nodes sweep, and never after its outcome.
 */
export function reservationSweeper(deps: ReservationSweeperDeps): PeriodicWorker<number> {
  return new PeriodicWorker({
    name: 'budget reservation sweeper',
    intervalMs: deps.intervalMs,
    log: deps.log,
    pass: () => sweep(deps),
  });
}

/** Settles one batch of stale reservations; returns how many expired. */
async function sweep(deps: ReservationSweeperDeps): Promise<number> {
  const now = deps.clock();
  const due = await deps.storage.db
    .selectFrom('budget_reservations')
    .select('id')
    .where('status', '=', 'held')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(BATCH)
    .execute();
  let expired = 0;
  for (const { id } of due) {
    const settled = await writeTransaction(deps.storage, async (trx) => {
      const result = await deps.reservations.expire(trx, deps.storage.dialect, id, now);
      if (result?.reservation) await deps.audit.append(trx, result.reservation.tenantId, [...result.events]);
      return result;
    });
    if (!settled?.reservation) continue;
    expired++;
    if (settled.crossings.length > 0) {
      await deps.crossings.announce(settled.reservation.tenantId, settled.crossings, now);
    }
  }
  return expired;
}
