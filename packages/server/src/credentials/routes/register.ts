import type { App } from '../../http/app.js';
import type { AgentKeyService } from '../agent-keys.js';
import { registerCreateAgentKey } from './create-agent-key.js';
import { registerListAgentKeys } from './list-agent-keys.js';
import { registerRevokeAgentKey } from './revoke-agent-key.js';

/** Agent key routes under /v1/agents/:id/keys. */
export function registerAgentKeyRoutes(app: App, keys: AgentKeyService): void {
  registerCreateAgentKey(app, keys);
  registerListAgentKeys(app, keys);
  registerRevokeAgentKey(app, keys);
}
