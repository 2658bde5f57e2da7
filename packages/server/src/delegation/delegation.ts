import type { Selectable } from 'kysely';
import type { DelegationGrantsTable } from '../storage/schema.js';

/** A grant lasts an hour unless the delegator asks otherwise, and never more than a day. */
export const DEFAULT_DELEGATION_SECONDS = 3600;
export const MAX_DELEGATION_SECONDS = 24 * 3600;
export const MIN_DELEGATION_SECONDS = 60;

/** An agent's consent, made with its own key, that another agent may act for it. */
export interface DelegationGrant {
  readonly id: string;
  readonly tenantId: string;
  readonly delegatorId: string;
  readonly delegateId: string;
  readonly tools: readonly string[];
  readonly taskId: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
}

export function grantFromRow(row: Selectable<DelegationGrantsTable>): DelegationGrant {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    delegatorId: row.delegator_id,
    delegateId: row.delegate_id,
    tools: JSON.parse(row.tools) as string[],
    taskId: row.task_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}

export function isLive(grant: DelegationGrant, now: number): boolean {
  return grant.revokedAt === null && grant.expiresAt > now;
}
