import type { HumanRole } from '../tenants/roles.js';

export interface HumanPrincipal {
  readonly kind: 'human';
  readonly tenantId: string;
  readonly humanId: string;
  /** The API token the request carried (absent when it came with a console session cookie). */
  readonly tokenId?: string;
  /** The console session whose cookie the request carried (absent for an API token). */
  readonly sessionId?: string;
  readonly roles: readonly HumanRole[];
}

export interface AgentPrincipal {
  readonly kind: 'agent';
  readonly tenantId: string;
  readonly agentId: string;
  readonly keyId: string;
}

export type Principal = HumanPrincipal | AgentPrincipal;

/** How the audit log names who acted. */
export function actorOf(principal: Principal): { type: 'human' | 'agent'; id: string } {
  return principal.kind === 'human'
    ? { type: 'human', id: principal.humanId }
    : { type: 'agent', id: principal.agentId };
}
