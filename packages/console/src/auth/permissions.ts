import type { Agent, Approval, Human, Role } from '../api/types';

/**
 * What the console offers a human, mirroring the API's role checks (docs/api.md) so nothing is shown
 * that the API would refuse. The API stays the authority: a 403 is still handled where it can happen.
 * `admin` passes every role check, as on the server.
 */
function hasAny(human: Human, roles: readonly Role[]): boolean {
  return human.roles.includes('admin') || roles.some((role) => human.roles.includes(role));
}

export const can = {
  readAudit: (human: Human) => hasAny(human, ['auditor']),
  readIncidents: (human: Human) => hasAny(human, ['security', 'auditor']),
  /** Lifecycle, keys, grants and the breaker: admin, security, or the agent's owner. */
  manageAgent: (human: Human, agent: Pick<Agent, 'ownerId'>) =>
    hasAny(human, ['security']) || agent.ownerId === human.id,
  freezeTenant: (human: Human) => hasAny(human, ['security']),
  thawTenant: (human: Human) => human.roles.includes('admin'),
  /** Only the humans the request names as eligible for its current step may vote. */
  decide: (human: Human, approval: Pick<Approval, 'eligible' | 'status'>) =>
    approval.status === 'pending' && approval.eligible.includes(human.id),
};
