import { newId } from '../ids.js';
import type { Trx } from '../storage/database.js';
import { newSecret, type SecretKind } from './secrets.js';

export interface IssuedSecret {
  readonly id: string;
  /** Shown once, never stored. */
  readonly secret: string;
  readonly hint: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

interface IssueInput {
  readonly tenantId: string;
  readonly expiresAt: number | null;
  readonly now: number;
}

/** A new secret and the columns every credential row has; only the hash is ever stored. */
function credentialRow(kind: SecretKind, input: IssueInput) {
  const { secret, hash, hint } = newSecret(kind);
  const issued: IssuedSecret = {
    id: newId(kind === 'agent' ? 'key' : 'tok', input.now),
    secret,
    hint,
    createdAt: input.now,
    expiresAt: input.expiresAt,
  };
  const row = {
    id: issued.id,
    tenant_id: input.tenantId,
    hash,
    hint,
    created_at: input.now,
    expires_at: input.expiresAt,
    revoked_at: null,
    last_used_at: null,
  };
  return { issued, row };
}

export async function issueHumanToken(
  trx: Trx,
  input: IssueInput & { humanId: string; name: string },
): Promise<IssuedSecret> {
  const { issued, row } = credentialRow('human', input);
  await trx
    .insertInto('human_tokens')
    .values({ ...row, human_id: input.humanId, name: input.name })
    .execute();
  return issued;
}

export async function issueAgentKey(
  trx: Trx,
  input: IssueInput & { agentId: string },
): Promise<IssuedSecret> {
  const { issued, row } = credentialRow('agent', input);
  await trx
    .insertInto('agent_keys')
    .values({ ...row, agent_id: input.agentId })
    .execute();
  return issued;
}
