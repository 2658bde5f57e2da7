import { compileGlob } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import { WardenError } from '../errors.js';
import { type DelegationGrant, isLive } from './delegation.js';

/**
 * One entry of a decide call's `delegation`: the agent acted for, with the grant it gave to the next
 * agent down the chain. A bare id is accepted only where the spawn link proves it.
 */
export type DelegationLink = string | { readonly agentId: string; readonly grant?: string };

/** How one link of a chain was proven: by a grant the delegator made, or by having spawned the delegate. */
export interface DelegationProof {
  readonly agentId: string;
  readonly via: 'grant' | 'spawn';
  readonly grant: string | null;
}

export interface ProvenDelegation {
  /** The delegators, outermost first. */
  readonly agents: readonly Agent[];
  readonly ids: readonly string[];
  readonly proofs: readonly DelegationProof[];
}

export interface ProofDeps {
  readonly agents: { get(tenantId: string, agentId: string): Promise<Agent | undefined> };
  readonly grants: { find(tenantId: string, id: string): Promise<DelegationGrant | undefined> };
}

export interface ProofInput {
  readonly tenantId: string;
  /** The calling agent: the delegate of the last link. */
  readonly caller: Agent;
  readonly links: readonly DelegationLink[];
  readonly tool: string;
  readonly taskId: string | null;
  readonly now: number;
}

/**
 * Checks that every delegator of the chain consented: link i (outermost first) is proven by a live
 * grant from agent i to agent i+1 (the caller for the last link) covering this tool and task, or by
 * agent i having spawned agent i+1. Anything else is refused as `forbidden` naming the link, so a
 * caller can no longer act for — and write into the tasks of — an agent that never agreed.
 * Whether a proven delegator may act now (suspended, retired, breaker open) stays a decision: a deny.
 */
export async function proveDelegation(deps: ProofDeps, input: ProofInput): Promise<ProvenDelegation> {
  const { tenantId, links } = input;
  if (links.length === 0) return { agents: [], ids: [], proofs: [] };
  const agents: Agent[] = [];
  for (const [i, link] of links.entries()) {
    const id = agentIdOf(link);
    const agent = await deps.agents.get(tenantId, id);
    if (!agent) throw refused(`body.delegation[${i}]`, `agent ${id} is not an agent of this tenant`);
    agents.push(agent);
  }
  const proofs: DelegationProof[] = [];
  for (const [i, link] of links.entries()) {
    const delegator = agents[i] as Agent;
    const delegate = agents[i + 1] ?? input.caller;
    const grantId = typeof link === 'string' ? undefined : link.grant;
    if (grantId === undefined) {
      if (delegate.parentId !== delegator.id) {
        throw refused(
          `body.delegation[${i}]`,
          `agent ${delegator.id} has not delegated to ${delegate.id}: present a grant it made (POST /v1/delegations) as {"agentId", "grant"}`,
        );
      }
      proofs.push({ agentId: delegator.id, via: 'spawn', grant: null });
      continue;
    }
    const field = `body.delegation[${i}].grant`;
    const grant = await deps.grants.find(tenantId, grantId);
    const problem = grant
      ? grantProblem(grant, delegator, delegate, input)
      : `delegation grant ${grantId} not found`;
    if (problem) throw refused(field, problem);
    proofs.push({ agentId: delegator.id, via: 'grant', grant: grantId });
  }
  return { agents, ids: agents.map((a) => a.id), proofs };
}

function grantProblem(
  grant: DelegationGrant,
  delegator: Agent,
  delegate: Agent,
  input: ProofInput,
): string | undefined {
  if (grant.delegatorId !== delegator.id) return `grant ${grant.id} was not given by agent ${delegator.id}`;
  if (grant.delegateId !== delegate.id) return `grant ${grant.id} was not given to agent ${delegate.id}`;
  if (grant.revokedAt !== null) return `grant ${grant.id} was revoked`;
  if (!isLive(grant, input.now)) return `grant ${grant.id} has expired`;
  if (!grant.tools.some((pattern) => compileGlob(pattern)(input.tool))) {
    return `grant ${grant.id} does not cover tool ${input.tool} (it covers ${grant.tools.join(', ')})`;
  }
  if (grant.taskId !== null && grant.taskId !== input.taskId) {
    return `grant ${grant.id} is for task ${grant.taskId} only`;
  }
  return undefined;
}

function agentIdOf(link: DelegationLink): string {
  return typeof link === 'string' ? link : link.agentId;
}

function refused(field: string, message: string): WardenError {
  return new WardenError('forbidden', `${field}: ${message}`, { field });
}
