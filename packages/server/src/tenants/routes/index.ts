import type { App } from '../../http/app.js';
import type { TenantRouteServices } from './common.js';
import { registerCreateGroup } from './create-group.js';
import { registerCreateHuman } from './create-human.js';
import { registerCreateToken } from './create-token.js';
import { registerDeleteGroup } from './delete-group.js';
import { registerGetGroup } from './get-group.js';
import { registerGetHuman } from './get-human.js';
import { registerGetMe } from './get-me.js';
import { registerGetTenant } from './get-tenant.js';
import { registerListGroups } from './list-groups.js';
import { registerListHumans } from './list-humans.js';
import { registerListTokens } from './list-tokens.js';
import { registerRevokeToken } from './revoke-token.js';
import { registerSetGroupMembers } from './set-group-members.js';
import { registerUpdateHuman } from './update-human.js';

/** The tenant, its humans, their API tokens, and groups. */
export function registerHumanRoutes(app: App, services: TenantRouteServices): void {
  for (const register of [
    registerGetMe,
    registerGetTenant,
    registerCreateHuman,
    registerListHumans,
    registerGetHuman,
    registerUpdateHuman,
    registerCreateToken,
    registerListTokens,
    registerRevokeToken,
    registerCreateGroup,
    registerListGroups,
    registerGetGroup,
    registerSetGroupMembers,
    registerDeleteGroup,
  ]) {
    register(app, services);
  }
}
