import { keyCreateEvent } from '../credentials/agent-keys-audit.js';
import { type IssuedSecret, issueAgentKey } from '../credentials/issue.js';
import type { AgentPrincipal } from '../credentials/principal.js';
import { forbidden, WardenError } from '../errors.js';
import { newId } from '../ids.js';
import { assertNotFrozen } from '../kill/tenant-freeze.js';
import { writeTransaction } from '../storage/database.js';
import { type Agent, agentToRow, type Environment, type RiskClass } from './agent.js';
import type { AgentCache } from './agent-cache.js';
import { type AgentDeps, isUniqueViolation } from './agent-deps.js';
import { agentNotification, sendNotifications } from './agent-notify.js';
import { agentPayload, initialStatus, nameTaken } from './agent-service.js';
import { countLiveChildren, findAgentForWrite, findHuman, isNameTaken } from './agent-store.js';

export interface SpawnInput {
  readonly name: string;
  readonly purpose: string;
  readonly roles?: readonly string[];
  readonly environments?: readonly Environment[];
  readonly risk?: RiskClass;
  readonly labels?: Readonly<Record<string, string>>;
  readonly maxChildren?: number;
}

/**
 * An active agent registers a sub-agent. The child can hold no more than its parent (roles,
 * environments, child limit), answers to the parent's owner, and starts in the sandbox tier.
 */
export class AgentSpawner {
  constructor(
    private readonly deps: AgentDeps,
    private readonly agentCache: AgentCache,
  ) {}

  async spawn(principal: AgentPrincipal, input: SpawnInput): Promise<{ agent: Agent; key: IssuedSecret }> {
    const { storage, audit, clock } = this.deps;
    const tenantId = principal.tenantId;
    // Cheap refusal for a parent that cannot spawn, without queueing for the write lock.
    const cached = await this.agentCache.get(tenantId, principal.agentId);
    assertCanSpawn(cached, principal.agentId);
    const now = clock();
    let outcome: { agent: Agent; key: IssuedSecret; afterCommit?: () => Promise<void> };
    try {
      outcome = await writeTransaction(storage, async (trx) => {
        // The parent row stays locked until commit: concurrent spawns count children one at a time.
        const parent = await findAgentForWrite(trx, storage.dialect, tenantId, principal.agentId);
        assertCanSpawn(parent, principal.agentId);
        await assertNotFrozen(trx, tenantId);
        const child = childOf(parent, input, now);
        const live = await countLiveChildren(trx, tenantId, parent.id);
        if (live >= parent.maxChildren) {
          throw new WardenError(
            'conflict',
            `agent ${parent.name} already has ${live} active children; its limit is ${parent.maxChildren}`,
            { children: live, maxChildren: parent.maxChildren },
          );
        }
        if (await isNameTaken(trx, tenantId, child.name)) throw nameTaken(child.name);
        await trx.insertInto('agents').values(agentToRow(child)).execute();
        const key = await issueAgentKey(trx, { tenantId, agentId: child.id, expiresAt: null, now });
        const actor = { type: 'agent' as const, id: parent.id };
        await audit.append(trx, tenantId, [
          {
            type: 'agent.spawn',
            actor,
            subject: { type: 'agent', id: child.id },
            payload: agentPayload(child),
            at: now,
          },
          keyCreateEvent(actor, child.id, key),
        ]);
        if (child.status !== 'pending') return { agent: child, key };
        const registration = await this.deps.registrations.open(trx, child, actor, now);
        return { agent: child, key, afterCommit: registration.afterCommit };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
    await outcome.afterCommit?.();
    const owner = await findHuman(storage.db, tenantId, outcome.agent.ownerId);
    if (owner) {
      const parentName = cached?.name ?? principal.agentId;
      const summary = `agent ${parentName} spawned agent ${outcome.agent.name} (${outcome.agent.status})`;
      sendNotifications(this.deps, [
        agentNotification('agent.spawn', outcome.agent, owner, summary, { parentId: principal.agentId }, now),
      ]);
    }
    return { agent: outcome.agent, key: outcome.key };
  }
}

function assertCanSpawn(parent: Agent | undefined, parentId: string): asserts parent is Agent {
  // The key authenticated, so the agent exists; a missing row means it vanished mid-request.
  if (!parent) throw forbidden(`agent ${parentId} cannot spawn: it no longer exists`);
  if (parent.status !== 'active') {
    throw forbidden(`agent ${parent.name} is ${parent.status}; only active agents may spawn`);
  }
}

/** The child as the parent may create it: never more than the parent holds. */
function childOf(parent: Agent, input: SpawnInput, now: number): Agent {
  const roles = input.roles ?? [];
  for (const role of roles) {
    if (!parent.roles.includes(role)) {
      throw new WardenError('forbidden', `body.roles: the parent does not hold the role ${role}`, {
        field: 'body.roles',
        role,
      });
    }
  }
  const environments = input.environments ?? parent.environments;
  for (const environment of environments) {
    if (!parent.environments.includes(environment)) {
      throw new WardenError(
        'forbidden',
        `body.environments: the parent may not act in the environment ${environment}`,
        { field: 'body.environments', environment },
      );
    }
  }
  const maxChildren = input.maxChildren ?? 0;
  if (maxChildren > parent.maxChildren) {
    throw new WardenError(
      'forbidden',
      `body.maxChildren: may not exceed the parent's own limit of ${parent.maxChildren}`,
      { field: 'body.maxChildren' },
    );
  }
  const risk = input.risk ?? parent.risk;
  return {
    id: newId('agt', now),
    tenantId: parent.tenantId,
    name: input.name,
    ownerId: parent.ownerId,
    purpose: input.purpose,
    risk,
    environments: [...environments],
    tier: 'sandbox',
    roles: [...roles],
    labels: { ...(input.labels ?? {}) },
    parentId: parent.id,
    maxChildren,
    status: initialStatus(risk),
    recertifyAt: null,
    createdAt: now,
    updatedAt: now,
    lastActiveAt: null,
    rollbackUrl: null,
    breaker: null,
  };
}
