import type { Agent } from '../agents/agent.js';
import type { AgentCache } from '../agents/agent-cache.js';
import type { DelegationGrants } from '../delegation/delegation-store.js';
import {
  type DelegationLink,
  type ProvenDelegation,
  proveDelegation,
} from '../delegation/prove-delegation.js';
import type { TaskOwners } from './task-owners.js';

export interface DelegationDeps {
  readonly agents: AgentCache;
  readonly tasks: TaskOwners;
  /** The delegation grants a call presents as proof of its chain. */
  readonly delegations: DelegationGrants;
}

/**
 * The agents this call acts for, outermost first, each link proven by its delegator (a grant it made
 * with its own key, or having spawned the delegate), and the check that the agent may add to the task
 * it names: its own, its parent's, or one of a proven delegator's. Throws a 4xx naming the field for
 * an unproven link or a task of another agent, before anything is written.
 */
export async function delegatorsOf(
  deps: DelegationDeps,
  agent: Agent,
  links: readonly DelegationLink[],
  tool: string,
  taskId: string | null,
  now: number,
): Promise<ProvenDelegation> {
  const chain = await proveDelegation(
    { agents: deps.agents, grants: deps.delegations },
    { tenantId: agent.tenantId, caller: agent, links, tool, taskId, now },
  );
  if (taskId) await deps.tasks.checkAccess(agent.tenantId, taskId, agent, chain.ids);
  return chain;
}
