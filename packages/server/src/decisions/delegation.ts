import type { Agent } from '../agents/agent.js';
import type { AgentCache } from '../agents/agent-cache.js';
import { invalidField } from '../errors.js';
import type { TaskOwners } from './task-owners.js';

export interface DelegationDeps {
  readonly agents: AgentCache;
  readonly tasks: TaskOwners;
}

/**
 * The agents this call acts for, as the request names them (outermost first), and the check that the
 * agent may add to the task it names: its own, its parent's, or one of a delegator's. Throws a 4xx
 * naming the field for an unknown delegator or a task of another agent.
 */
export async function delegatorsOf(
  deps: DelegationDeps,
  agent: Agent,
  delegation: readonly string[],
  taskId: string | null,
): Promise<readonly Agent[]> {
  const delegators: Agent[] = [];
  for (const [i, id] of delegation.entries()) {
    const delegator = await deps.agents.get(agent.tenantId, id);
    if (!delegator) throw invalidField(`body.delegation[${i}]`, `agent ${id} not found`);
    delegators.push(delegator);
  }
  if (taskId) await deps.tasks.checkAccess(agent.tenantId, taskId, agent, delegation);
  return delegators;
}
