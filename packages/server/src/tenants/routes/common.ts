import type { RouteAuth } from '../../http/auth.js';
import type { Storage } from '../../storage/database.js';
import type { GroupService } from '../group-service.js';
import type { HumanService } from '../human-service.js';
import type { TokenService } from '../token-service.js';

export interface TenantRouteServices {
  readonly storage: Storage;
  readonly humans: HumanService;
  readonly tokens: TokenService;
  readonly groups: GroupService;
}

/** Any human of the tenant. */
export const ANY_HUMAN: RouteAuth = { kind: 'human' };
/** Admin always passes a role check, so an empty list admits admins and no one else. */
export const ADMIN_ONLY: RouteAuth = { kind: 'human', roles: [] };
