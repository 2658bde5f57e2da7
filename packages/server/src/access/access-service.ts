import type { JsonObject } from '@warden/policy';
import type { Agent } from '../agents/agent.js';
import { assertCanManage } from '../agents/agent-access.js';
import { findAgent } from '../agents/agent-store.js';
import { agentCard } from '../approvals/agent-card.js';
import type { ApprovalRequest } from '../approvals/approval.js';
import { prepareApproval } from '../approvals/approval-builder.js';
import type { ApprovalOptions, ApprovalService } from '../approvals/approval-service.js';
import { Directory } from '../approvals/directory.js';
import type { Principal } from '../credentials/principal.js';
import { invalidField, notFound, WardenError } from '../errors.js';
import type { Storage } from '../storage/database.js';

export interface AccessRequestInput {
  /** Required when a human asks on an agent's behalf; an agent asks for itself. */
  readonly agentId?: string;
  readonly tools: readonly string[];
  readonly justification: string;
  readonly durationSeconds: number;
}

/** How long an access request may wait for its approvers. */
const ACCESS_TIMEOUT_SECONDS = 3 * 86_400;

/**
 * "Agents must be able to request access they discover they need": an agent, or a human who looks
 * after it, asks for tools for a while. The request goes to the agent's owner, then security; once
 * approved it becomes a grant the policy engine sees on the next call, and it lapses on its own.
 */
export class AccessService {
  constructor(
    private readonly deps: {
      readonly storage: Storage;
      readonly approvals: ApprovalService;
      readonly options: ApprovalOptions;
      readonly maxDurationSeconds: number;
      readonly securityGroup: string;
      readonly clock: () => number;
    },
  ) {}

  async request(principal: Principal, input: AccessRequestInput): Promise<ApprovalRequest> {
    const { storage, options, clock, maxDurationSeconds, securityGroup } = this.deps;
    if (input.durationSeconds > maxDurationSeconds) {
      throw invalidField('body.durationSeconds', `may be at most ${maxDurationSeconds} seconds here`);
    }
    const agent = await this.agentFor(principal, input.agentId);
    if (agent.status === 'suspended' || agent.status === 'retired') {
      throw new WardenError(
        'conflict',
        `agent ${agent.name} is ${agent.status}; it cannot be granted access`,
      );
    }
    const now = clock();
    const directory = await Directory.load(storage.db, principal.tenantId);
    const requester =
      principal.kind === 'agent'
        ? { type: 'agent' as const, id: principal.agentId }
        : { type: 'human' as const, id: principal.humanId };
    const ownerAsks = requester.type === 'human' && requester.id === agent.ownerId;
    const context: JsonObject = {
      agent: agentCard(agent, directory),
      access: {
        tools: [...input.tools],
        justification: input.justification,
        durationSeconds: input.durationSeconds,
      },
      requester,
      ...(ownerAsks ? { ownerConsent: 'the owner asked, so the owner step is done' } : {}),
    };
    const prepared = prepareApproval(
      {
        tenantId: principal.tenantId,
        kind: 'access',
        mode: 'pre',
        agentId: agent.id,
        requester,
        requirement: {
          steps: [
            { name: 'owner', approvers: [{ kind: 'user', name: agent.ownerId }], required: 1 },
            { name: 'security', approvers: [{ kind: 'group', name: securityGroup }], required: 1 },
          ],
          timeoutSeconds: ACCESS_TIMEOUT_SECONDS,
          onTimeout: 'deny',
          escalateTo: [],
        },
        context,
        firstStage: ownerAsks ? 1 : 0,
        now,
      },
      directory,
      options,
    );
    return this.deps.approvals.open(prepared);
  }

  private async agentFor(principal: Principal, agentId: string | undefined): Promise<Agent> {
    const db = this.deps.storage.db;
    if (principal.kind === 'agent') {
      if (agentId !== undefined && agentId !== principal.agentId) {
        throw invalidField('body.agentId', 'an agent asks for its own access only; leave agentId out');
      }
      const agent = await findAgent(db, principal.tenantId, principal.agentId);
      if (!agent) throw new WardenError('unauthenticated', 'the agent key is unknown or revoked');
      return agent;
    }
    if (agentId === undefined) throw invalidField('body.agentId', 'is required when a human asks for access');
    const agent = await findAgent(db, principal.tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    assertCanManage(principal, agent, 'request access for');
    return agent;
  }
}
