import type { AuditLog } from '../../audit/audit-log.js';
import type { App } from '../../http/app.js';
import type { Signals } from '../../signals/signals.js';
import type { Storage } from '../../storage/database.js';
import { AgentKeyService } from '../agent-keys.js';
import { registerCreateAgentKey } from './create-agent-key.js';
import { registerListAgentKeys } from './list-agent-keys.js';
import { registerRevokeAgentKey } from './revoke-agent-key.js';

/** Agent key routes under /v1/agents/:id/keys. */
export function registerAgentKeyRoutes(
  app: App,
  deps: { storage: Storage; audit: AuditLog; signals: Signals; clock: () => number },
): void {
  const keys = new AgentKeyService(deps);
  registerCreateAgentKey(app, keys);
  registerListAgentKeys(app, keys);
  registerRevokeAgentKey(app, keys);
}
