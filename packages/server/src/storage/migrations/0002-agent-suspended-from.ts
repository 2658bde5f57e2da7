import type { Kysely, Migration } from 'kysely';

/**
 * Where a suspended agent came from. Resuming returns it there, so suspending and resuming a pending
 * agent cannot skip an admin's activation.
 */
export const agentSuspendedFrom: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('agents').addColumn('suspended_from', 'text').execute();
  },
};
