import type { Agent } from '../agents/agent.js';
import { riskLevel } from '../agents/agent.js';
import type { Trx } from '../storage/database.js';
import { agentCard } from './agent-card.js';
import type { Stage } from './approval.js';
import { prepareApproval } from './approval-builder.js';
import type { ApprovalOptions, ApprovalService } from './approval-service.js';
import { Directory } from './directory.js';

/** How long a registration may wait for security (and legal). */
const REGISTRATION_TIMEOUT_SECONDS = 3 * 86_400;

export interface RegistrationGroups {
  readonly securityGroup: string;
  readonly legalGroup: string;
}

/**
 * Registering a medium or high-risk agent is an approval request like any other: security decides
 * a medium-risk agent, security then legal a high-risk one. Approval activates the agent; this
 * replaces an admin's direct activation.
 */
export class Registrations {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly options: ApprovalOptions,
    private readonly groups: RegistrationGroups,
  ) {}

  /**
   * Opens the registration request of a pending agent in the caller's transaction; returns the
   * request id and what to do after commit (notify the approvers).
   */
  async open(
    trx: Trx,
    agent: Agent,
    requester: { readonly type: 'agent' | 'human'; readonly id: string },
    now: number,
  ): Promise<{ approvalId: string; afterCommit: () => Promise<void> }> {
    const directory = await Directory.load(trx, agent.tenantId);
    const steps: Stage[] = [
      { name: 'security', approvers: [{ kind: 'group', name: this.groups.securityGroup }], required: 1 },
    ];
    if (riskLevel(agent.risk) === 'high') {
      steps.push({
        name: 'legal',
        approvers: [{ kind: 'group', name: this.groups.legalGroup }],
        required: 1,
      });
    }
    const prepared = prepareApproval(
      {
        tenantId: agent.tenantId,
        kind: 'registration',
        mode: 'pre',
        agentId: agent.id,
        requester,
        requirement: {
          steps,
          timeoutSeconds: REGISTRATION_TIMEOUT_SECONDS,
          onTimeout: 'deny',
          escalateTo: [],
        },
        context: { agent: agentCard(agent, directory), requester },
        now,
      },
      directory,
      this.options,
    );
    await this.approvals.insert(trx, prepared);
    return { approvalId: prepared.request.id, afterCommit: () => this.approvals.announce(prepared) };
  }

  /** The pending registration request of an agent, if there is one. */
  async pending(trx: Trx, tenantId: string, agentId: string): Promise<string | undefined> {
    const row = await trx
      .selectFrom('approval_requests')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .where('kind', '=', 'registration')
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return row?.id;
  }
}
