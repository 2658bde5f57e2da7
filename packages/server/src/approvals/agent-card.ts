import type { JsonObject } from '@warden/policy';
import { type Agent, riskLevel } from '../agents/agent.js';
import type { Directory } from './directory.js';

/** What an approver needs to know about the agent. */
export function agentCard(agent: Agent, directory: Directory): JsonObject {
  const owner = directory.humans.get(agent.ownerId);
  return {
    id: agent.id,
    name: agent.name,
    purpose: agent.purpose,
    owner: { id: agent.ownerId, name: owner?.name ?? null, email: owner?.email ?? null },
    tier: agent.tier,
    risk: agent.risk,
    riskLevel: riskLevel(agent.risk),
    environments: [...agent.environments],
    roles: [...agent.roles],
    status: agent.status,
  };
}
