import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden } from '../errors.js';
import type { Agent } from './agent.js';

/** Admin and security look after every agent of the tenant. */
export function isGuardian(principal: HumanPrincipal): boolean {
  return principal.roles.includes('admin') || principal.roles.includes('security');
}

export function isOwnerOf(principal: HumanPrincipal, agent: Agent): boolean {
  return principal.humanId === agent.ownerId;
}

/** Admin, security, or the agent's accountable owner. */
export function assertCanManage(principal: HumanPrincipal, agent: Agent, action: string): void {
  if (!isGuardian(principal) && !isOwnerOf(principal, agent)) {
    throw forbidden(`only an admin, security, or the owner of agent ${agent.name} may ${action} it`);
  }
}
