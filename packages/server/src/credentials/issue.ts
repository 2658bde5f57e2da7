import { newId } from '../ids.js';
import type { Trx } from '../storage/database.js';
import { newSecret } from './secrets.js';

export interface IssuedSecret {
  readonly id: string;
  /** Shown once, never stored. */
  readonly secret: string;
  readonly hint: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

export async function issueHumanToken(
  trx: Trx,
  input: { tenantId: string; humanId: string; name: string; expiresAt: number | null; now: number },
): Promise<IssuedSecret> {
  const { secret, hash, hint } = newSecret('human');
  const id = newId('tok', input.now);
  await trx
    .insertInto('human_tokens')
    .values({
      id,
      tenant_id: input.tenantId,
      human_id: input.humanId,
      name: input.name,
      hash,
      hint,
      created_at: input.now,
      expires_at: input.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return { id, secret, hint, createdAt: input.now, expiresAt: input.expiresAt };
}

export async function issueAgentKey(
  trx: Trx,
  input: { tenantId: string; agentId: string; expiresAt: number | null; now: number },
): Promise<IssuedSecret> {
  const { secret, hash, hint } = newSecret('agent');
  const id = newId('key', input.now);
  await trx
    .insertInto('agent_keys')
    .values({
      id,
      tenant_id: input.tenantId,
      agent_id: input.agentId,
      hash,
      hint,
      created_at: input.now,
      expires_at: input.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
  return { id, secret, hint, createdAt: input.now, expiresAt: input.expiresAt };
}
