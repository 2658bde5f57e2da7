import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
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
export function startReservationSweeper(deps: ReservationSweeperDeps): {
  stop(): Promise<void>;
  sweep(): Promise<number>;
} {
  let running: Promise<number> | undefined;
  const sweep = async (): Promise<number> => {
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
        if (result?.reservation)
          await deps.audit.append(trx, result.reservation.tenantId, [...result.events]);
        return result;
      });
      if (!settled?.reservation) continue;
      expired++;
      if (settled.crossings.length > 0) {
        await deps.crossings.announce(settled.reservation.tenantId, settled.crossings, now);
      }
    }
    return expired;
  };
  const tick = () => {
    if (running) return;
    running = sweep()
      .catch((error) => {
        deps.log.warn({ err: error }, 'reservation sweep failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
    sweep: async () => {
      while (running) await running;
      return sweep();
    },
  };
}
