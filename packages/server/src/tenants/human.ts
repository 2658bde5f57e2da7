import type { HumansTable } from '../storage/schema.js';
import type { HumanRole } from './roles.js';

export const HUMAN_STATUSES = ['active', 'disabled'] as const;
export type HumanStatus = (typeof HUMAN_STATUSES)[number];

export interface Human {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly HumanRole[];
  readonly status: HumanStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export function humanFromRow(row: HumansTable): Human {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    name: row.name,
    roles: JSON.parse(row.roles) as HumanRole[],
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The caller may act on `humanId`'s own things: it is them, or they are an admin. */
export function isSelfOrAdmin(principal: { humanId: string; roles: readonly HumanRole[] }, humanId: string) {
  return principal.humanId === humanId || principal.roles.includes('admin');
}
