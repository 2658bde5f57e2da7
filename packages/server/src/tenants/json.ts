import { toIso } from '../http/schemas.js';
import type { Group } from './group-service.js';
import type { Human } from './human.js';
import type { Tenant } from './tenant-service.js';
import type { HumanToken } from './token-service.js';

/** How humans, tenants, tokens and groups cross the API: times as ISO strings, no tenant ids. */

export function humanJson(human: Human) {
  return {
    id: human.id,
    email: human.email,
    name: human.name,
    roles: [...human.roles],
    status: human.status,
    createdAt: toIso(human.createdAt),
    updatedAt: toIso(human.updatedAt),
  };
}

export function tenantJson(tenant: Tenant) {
  return { id: tenant.id, slug: tenant.slug, name: tenant.name, createdAt: toIso(tenant.createdAt) };
}

export function tokenJson(token: HumanToken) {
  return {
    id: token.id,
    name: token.name,
    hint: token.hint,
    createdAt: toIso(token.createdAt),
    expiresAt: toIso(token.expiresAt),
    revokedAt: toIso(token.revokedAt),
    lastUsedAt: toIso(token.lastUsedAt),
  };
}

export function groupJson(group: Group) {
  return {
    id: group.id,
    name: group.name,
    onCall: group.onCall,
    members: group.members.map((m) => ({ ...m })),
    createdAt: toIso(group.createdAt),
  };
}
