import type { Agent } from '../agents/agent.js';
import { WardenError } from '../errors.js';
import { compiledQuery } from '../storage/compiled-query.js';
import type { Storage } from '../storage/database.js';

const MAX_ENTRIES = 100_000;

const selectOwner = compiledQuery((db, param) =>
  db
    .selectFrom('tasks')
    .select('agent_id')
    .where('tenant_id', '=', param('tenantId'))
    .where('id', '=', param('taskId')),
);

/**
 * A task belongs to the agent that started it. Another agent may add actions to it only when it acts
 * for that agent (the owner is in its proven delegation chain: `delegation` holds only ids the
 * delegators proved, see proveDelegation) or is its spawned child — otherwise any agent could write
 * into another's execution trace. Owners never change, so they are cached for good.
 */
export class TaskOwners {
  private readonly owners = new Map<string, string>();

  constructor(private readonly storage: Storage) {}

  async checkAccess(
    tenantId: string,
    taskId: string,
    agent: Agent,
    delegation: readonly string[],
  ): Promise<void> {
    const key = `${tenantId}|${taskId}`;
    let owner = this.owners.get(key);
    if (owner === undefined) {
      const [row] = (await selectOwner(this.storage.db, this.storage.dialect, { tenantId, taskId })).rows;
      if (!row) return;
      owner = row.agent_id;
      if (this.owners.size >= MAX_ENTRIES) this.owners.clear();
      this.owners.set(key, owner);
    }
    if (owner === agent.id || agent.parentId === owner || delegation.includes(owner)) return;
    throw new WardenError('conflict', `task ${taskId} belongs to another agent; use your own task id`, {
      field: 'body.context.taskId',
    });
  }
}
