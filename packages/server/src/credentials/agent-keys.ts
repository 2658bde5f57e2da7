import { assertCanManage } from '../agents/agent-access.js';
import type { AgentDeps } from '../agents/agent-deps.js';
import { findAgent, findAgentForWrite } from '../agents/agent-store.js';
import { notFound, WardenError } from '../errors.js';
import { toIso } from '../http/schemas.js';
import { writeTransaction } from '../storage/database.js';
import { keyCreateEvent } from './agent-keys-audit.js';
import {
  type AgentKeyInfo,
  findAgentKey,
  isKeyLive,
  listAgentKeys,
  revokeAgentKey,
  revokeAgentKeys,
} from './agent-keys-store.js';
import { type IssuedSecret, issueAgentKey } from './issue.js';
import type { HumanPrincipal } from './principal.js';

export interface IssueKeyInput {
  readonly expiresInSeconds?: number;
  /** Replace the agent's current keys: they keep working for `overlapSeconds`, then stop. */
  readonly rotate?: { readonly overlapSeconds: number };
}

type KeyDeps = Pick<AgentDeps, 'storage' | 'audit' | 'signals' | 'clock'>;

/**
 * Agent keys after registration: more keys, rotation with an overlap (so a fleet can roll over
 * without downtime), listing, and revocation. Every change that ends a key's life is signalled, so
 * every node's authenticator reloads it.
 */
export class AgentKeyService {
  constructor(private readonly deps: KeyDeps) {}

  async issue(principal: HumanPrincipal, agentId: string, input: IssueKeyInput): Promise<IssuedSecret> {
    const { storage, audit, signals, clock } = this.deps;
    const tenantId = principal.tenantId;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const agent = await findAgentForWrite(trx, storage.dialect, tenantId, agentId);
      if (!agent) throw notFound('agent', agentId);
      assertCanManage(principal, agent, 'issue keys for');
      if (agent.status === 'retired') {
        throw new WardenError('conflict', `agent ${agent.name} is retired; it gets no new keys`, {
          status: agent.status,
        });
      }
      const expiresAt = input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000;
      const revokeAt = input.rotate ? now + input.rotate.overlapSeconds * 1000 : undefined;
      // Revoke first, so the new key is not among the keys being rotated out.
      const replaced =
        revokeAt === undefined
          ? []
          : await revokeAgentKeys(trx, { tenantId, agentId, revokeAt, now, onlyLive: true });
      const key = await issueAgentKey(trx, { tenantId, agentId, expiresAt, now });
      const actor = { type: 'human' as const, id: principal.humanId };
      const events = [keyCreateEvent(actor, agentId, key)];
      if (revokeAt !== undefined) {
        events.push({
          type: 'key.rotate',
          actor,
          subject: { type: 'agent', id: agentId },
          payload: { newKeyId: key.id, replacedKeys: replaced.map((k) => k.id), revokesAt: toIso(revokeAt) },
          at: now,
        });
      }
      await audit.append(trx, tenantId, events);
      return { key, hashes: replaced.map((k) => k.hash) };
    });
    if (outcome.hashes.length > 0) {
      await signals.publish({ type: 'credential.revoked', tenantId, hashes: outcome.hashes });
    }
    return outcome.key;
  }

  async list(tenantId: string, agentId: string): Promise<AgentKeyInfo[]> {
    const agent = await findAgent(this.deps.storage.db, tenantId, agentId);
    if (!agent) throw notFound('agent', agentId);
    return listAgentKeys(this.deps.storage.db, tenantId, agentId);
  }

  async revoke(principal: HumanPrincipal, agentId: string, keyId: string): Promise<AgentKeyInfo> {
    const { storage, audit, signals, clock } = this.deps;
    const tenantId = principal.tenantId;
    const now = clock();
    const outcome = await writeTransaction(storage, async (trx) => {
      const agent = await findAgentForWrite(trx, storage.dialect, tenantId, agentId);
      if (!agent) throw notFound('agent', agentId);
      assertCanManage(principal, agent, 'revoke keys of');
      const key = await findAgentKey(trx, tenantId, agentId, keyId);
      if (!key) throw notFound('key', keyId);
      if (key.revokedAt !== null && key.revokedAt <= now) {
        throw new WardenError('conflict', `key ${keyId} is already revoked`, {
          revokedAt: toIso(key.revokedAt),
        });
      }
      await revokeAgentKey(trx, tenantId, keyId, now);
      await audit.append(trx, tenantId, [
        {
          type: 'key.revoke',
          actor: { type: 'human', id: principal.humanId },
          subject: { type: 'key', id: keyId },
          payload: { agentId, hint: key.hint, wasLive: isKeyLive(key, now) },
          at: now,
        },
      ]);
      const { hash, ...info } = key;
      return { key: { ...info, revokedAt: now }, hash };
    });
    await signals.publish({ type: 'credential.revoked', tenantId, hashes: [outcome.hash] });
    return outcome.key;
  }
}
