import { cancelPendingApprovals } from '../approvals/approval-cancel.js';
import { revokeAgentKeys } from '../credentials/agent-keys-store.js';
import type { HumanPrincipal } from '../credentials/principal.js';
import { forbidden, notFound, WardenError } from '../errors.js';
import { type Trx, writeTransaction } from '../storage/database.js';
import { type Agent, type AgentStatus, riskLevel } from './agent.js';
import { isGuardian, isOwnerOf } from './agent-access.js';
import type { AgentDeps } from './agent-deps.js';
import { agentNotification, describeActor, sendNotifications } from './agent-notify.js';
import { findAgentForWrite, findHuman } from './agent-store.js';

export type Transition = 'activate' | 'suspend' | 'resume' | 'retire';

interface Rule {
  readonly from: readonly AgentStatus[];
  readonly to: AgentStatus;
  /** Who besides admin may do it. */
  readonly security: boolean;
  readonly owner: boolean;
  readonly past: string;
}

/** The lifecycle: pending -> active <-> suspended, and anything not yet retired -> retired. */
const RULES: Record<Transition, Rule> = {
  activate: { from: ['pending'], to: 'active', security: false, owner: false, past: 'activated' },
  suspend: { from: ['active', 'pending'], to: 'suspended', security: true, owner: true, past: 'suspended' },
  resume: { from: ['suspended'], to: 'active', security: true, owner: false, past: 'resumed' },
  retire: {
    from: ['pending', 'active', 'suspended'],
    to: 'retired',
    security: false,
    owner: true,
    past: 'retired',
  },
};

/** Resuming returns a suspended agent to where it was: one suspended while pending stays unactivated. */
async function targetStatus(trx: Trx, action: Transition, rule: Rule, agent: Agent): Promise<AgentStatus> {
  if (action !== 'resume') return rule.to;
  const row = await trx
    .selectFrom('agents')
    .select('suspended_from')
    .where('tenant_id', '=', agent.tenantId)
    .where('id', '=', agent.id)
    .executeTakeFirst();
  return row?.suspended_from === 'pending' ? 'pending' : rule.to;
}

function allowedBy(rule: Rule): string {
  return ['an admin', rule.security ? 'security' : '', rule.owner ? "the agent's owner" : '']
    .filter(Boolean)
    .join(', ');
}

/**
 * Status changes. Each is one transaction with its audit event; the `agent.changed` signal goes out
 * after commit so every node's caches (authenticator, agent cache) drop the agent before the next
 * request. Retiring also revokes every key of the agent at once.
 */
export class AgentLifecycle {
  constructor(private readonly deps: AgentDeps) {}

  async transition(
    principal: HumanPrincipal,
    agentId: string,
    action: Transition,
    reason: string | undefined,
  ): Promise<Agent> {
    const { storage, audit, signals, clock } = this.deps;
    const rule = RULES[action];
    const tenantId = principal.tenantId;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      // A suspended or retired agent keeps no request a human could still grant. Requests are locked
      // before the agent row, the order a vote takes them; a refusal below rolls this back.
      const cancel =
        action === 'suspend' || action === 'retire'
          ? await cancelPendingApprovals(trx, storage.dialect, {
              tenantId,
              agentIds: [agentId],
              actor: { type: 'human', id: principal.humanId },
              reason: `agent ${agentId} was ${rule.past}${reason ? `: ${reason}` : ''}`,
              now,
            })
          : undefined;
      const agent = await findAgentForWrite(trx, storage.dialect, tenantId, agentId);
      if (!agent) throw notFound('agent', agentId);
      const permitted =
        principal.roles.includes('admin') ||
        (rule.security && isGuardian(principal)) ||
        (rule.owner && isOwnerOf(principal, agent));
      if (!permitted) throw forbidden(`only ${allowedBy(rule)} may ${action} agent ${agent.name}`);
      if (!rule.from.includes(agent.status)) {
        throw new WardenError(
          'conflict',
          `agent ${agent.name} is ${agent.status}; only ${rule.from.join(' or ')} agents can be ${rule.past}`,
          { status: agent.status },
        );
      }
      if (action === 'activate' && riskLevel(agent.risk) !== 'low') {
        const pending = await this.deps.registrations.pending(trx, tenantId, agentId);
        if (pending) return { registration: { approvalId: pending, afterCommit: async () => {} }, agent };
        const opened = await this.deps.registrations.open(
          trx,
          agent,
          { type: 'human', id: principal.humanId },
          now,
        );
        return { registration: opened, agent };
      }
      const next: Agent = { ...agent, status: await targetStatus(trx, action, rule, agent), updatedAt: now };
      await trx
        .updateTable('agents')
        .set({
          status: next.status,
          updated_at: now,
          suspended_from: action === 'suspend' ? agent.status : null,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', agentId)
        .execute();
      const revoked =
        action === 'retire'
          ? await revokeAgentKeys(trx, { tenantId, agentId, revokeAt: now, now, onlyLive: false })
          : [];
      await audit.append(trx, tenantId, [
        {
          type: `agent.${action}`,
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'agent', id: agentId },
          payload: {
            name: agent.name,
            from: agent.status,
            to: next.status,
            reason: reason ?? null,
            ...(action === 'retire' ? { revokedKeys: revoked.map((key) => key.id) } : {}),
            ...(cancel ? { cancelledApprovals: cancel.cancelled.map((request) => request.id) } : {}),
          },
          at: now,
        },
        ...(cancel?.events ?? []),
      ]);
      const who = describeActor(await findHuman(trx, tenantId, principal.humanId), principal.humanId);
      const owner = await findHuman(trx, tenantId, agent.ownerId);
      const summary = `${who} ${rule.past} agent ${agent.name}${reason ? `: ${reason}` : ''}`;
      const notification =
        owner &&
        agentNotification(
          `agent.${action}`,
          next,
          owner,
          summary,
          {
            from: agent.status,
            to: next.status,
            reason: reason ?? null,
            actor: { type: 'human', id: principal.humanId },
          },
          now,
        );
      return {
        agent: next,
        hashes: revoked.map((key) => key.hash),
        notification,
        approvalSignals: cancel?.signals ?? [],
      };
    });
    if ('registration' in outcome && outcome.registration) {
      const { registration } = outcome;
      await registration.afterCommit();
      const level = riskLevel(outcome.agent.risk);
      throw new WardenError(
        'conflict',
        `agent ${outcome.agent.name} is ${level}-risk: it becomes active when its registration request ${registration.approvalId} is approved (security${level === 'high' ? ', then legal' : ''}), not by direct activation`,
        { approvalId: registration.approvalId },
      );
    }
    await signals.publish({ type: 'agent.changed', tenantId, agentId });
    for (const signal of outcome.approvalSignals) await signals.publish(signal);
    if (outcome.hashes.length > 0) {
      await signals.publish({ type: 'credential.revoked', tenantId, hashes: outcome.hashes });
    }
    if (outcome.notification) sendNotifications(this.deps, [outcome.notification]);
    return outcome.agent;
  }
}
