import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden } from '../errors.js';

/** Admins, security and auditors read every agent's drift; an owner reads only their own agents'. */
export function readsEveryAgent(principal: HumanPrincipal): boolean {
  return ['admin', 'security', 'auditor'].some((role) => principal.roles.includes(role as never));
}

/** The owner a report is limited to: the one asked for, or the caller when they only own agents. */
export function ownerScope(principal: HumanPrincipal, asked: string | undefined): string | undefined {
  if (readsEveryAgent(principal)) return asked;
  if (asked !== undefined && asked !== principal.humanId) {
    throw forbidden("only an admin, security or an auditor may read another owner's drift report");
  }
  return principal.humanId;
}
