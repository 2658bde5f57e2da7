import type { App } from '../../http/app.js';
import type { TenantDeps } from '../deps.js';
import { GroupService } from '../group-service.js';
import { HumanService } from '../human-service.js';
import { TokenService } from '../token-service.js';
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
export function registerHumanRoutes(app: App, deps: TenantDeps): void {
  const services = {
    storage: deps.storage,
    humans: new HumanService(deps),
    tokens: new TokenService(deps),
    groups: new GroupService(deps),
  };
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
