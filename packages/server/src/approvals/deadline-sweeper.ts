import type { FastifyBaseLogger } from 'fastify';
import { PeriodicWorker } from '../lifecycle/periodic-worker.js';
import type { Storage } from '../storage/database.js';
import type { ApprovalService } from './approval-service.js';
import { dueApprovals, dueOnCallOffers } from './approval-store.js';

const BATCH = 200;

/**
 * Every node sweeps for passed deadlines and ended on-call windows. Deadlines live in the database,
 * so they survive restarts; each is applied by compare-and-set on the request's version, so when
 * several nodes see the same one, exactly one of them acts.
 */
export function deadlineSweeper(deps: DeadlineSweeperDeps): PeriodicWorker<number> {
  return new PeriodicWorker({
    name: 'approval deadline sweeper',
    intervalMs: deps.intervalMs,
    log: deps.log,
    pass: (stopping) => sweep(deps, stopping),
  });
}

export interface DeadlineSweeperDeps {
  readonly storage: Storage;
  readonly approvals: ApprovalService;
  readonly clock: () => number;
  readonly intervalMs: number;
  readonly log: FastifyBaseLogger;
}

/** One sweep; returns how many deadlines fired. A node that is stopping leaves the rest to the next. */
async function sweep(deps: DeadlineSweeperDeps, stopping: () => boolean): Promise<number> {
  let fired = 0;
  const now = deps.clock();
  for (const due of await dueApprovals(deps.storage.db, now, BATCH)) {
    if (stopping()) break;
    try {
      if (await deps.approvals.timeout(due.tenant_id, due.id, due.version)) fired++;
    } catch (error) {
      deps.log.error(
        { err: error, approvalId: due.id },
        'approval deadline failed; retrying on the next sweep',
      );
    }
  }
  for (const due of await dueOnCallOffers(deps.storage.db, now, BATCH)) {
    if (stopping()) break;
    try {
      await deps.approvals.offerToGroup(due.tenant_id, due.id, due.version);
    } catch (error) {
      deps.log.error(
        { err: error, approvalId: due.id },
        'on-call hand-over failed; retrying on the next sweep',
      );
    }
  }
  return fired;
}
