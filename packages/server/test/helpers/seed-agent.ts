import type { Agent, AgentStatus, Environment, RiskClass, TrustTier } from '../../src/agents/agent.js';
import { agentToRow } from '../../src/agents/agent.js';
import { issueAgentKey } from '../../src/credentials/issue.js';
import { newId } from '../../src/ids.js';
import type { WardenNode } from '../../src/main.js';
import { writeTransaction } from '../../src/storage/database.js';

export interface SeedAgentOptions {
  readonly name?: string;
  readonly roles?: string[];
  readonly environments?: Environment[];
  readonly tier?: TrustTier;
  readonly risk?: RiskClass;
  readonly status?: AgentStatus;
  readonly tenantId?: string;
  readonly ownerId?: string;
  readonly parentId?: string | null;
  readonly keyExpiresAt?: number | null;
  readonly rollbackUrl?: string;
}

/**
 * Puts an agent and a key straight into storage, for tests of the decide path that should not depend
 * on the registry routes.
 */
export async function seedAgent(
  node: WardenNode,
  options: SeedAgentOptions = {},
): Promise<{ agent: Agent; key: string; keyId: string }> {
  const now = Date.now();
  const tenantId = options.tenantId ?? node.bootstrap.tenant.id;
  const ownerId =
    options.ownerId ??
    (
      await node.storage.db
        .selectFrom('humans')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .orderBy('id')
        .executeTakeFirstOrThrow()
    ).id;
  const agent: Agent = {
    id: newId('agt', now),
    tenantId,
    name: options.name ?? `agent-${Math.random().toString(36).slice(2, 10)}`,
    ownerId,
    purpose: 'test agent',
    risk: options.risk ?? 'internal',
    environments: options.environments ?? ['production'],
    tier: options.tier ?? 'monitored',
    roles: options.roles ?? ['support-assistant'],
    labels: {},
    parentId: options.parentId ?? null,
    maxChildren: 0,
    status: options.status ?? 'active',
    recertifyAt: null,
    createdAt: now,
    updatedAt: now,
    lastActiveAt: null,
    rollbackUrl: options.rollbackUrl ?? null,
    breaker: null,
  };
  const issued = await writeTransaction(node.storage, async (trx) => {
    await trx.insertInto('agents').values(agentToRow(agent)).execute();
    return issueAgentKey(trx, { tenantId, agentId: agent.id, expiresAt: options.keyExpiresAt ?? null, now });
  });
  return { agent, key: issued.secret, keyId: issued.id };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
