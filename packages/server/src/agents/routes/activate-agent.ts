import type { App } from '../../http/app.js';
import { StrictObject } from '../../http/schemas.js';
import type { AgentLifecycle } from '../agent-lifecycle.js';
import { registerTransition } from './transition-route.js';

/** POST /v1/agents/:id/activate: an admin lets a pending (medium or high risk) agent work. */
export function registerActivateAgent(app: App, lifecycle: AgentLifecycle): void {
  registerTransition(app, lifecycle, {
    action: 'activate',
    auth: { kind: 'human', roles: [] },
    summary: 'Activate a pending agent (admin)',
    body: StrictObject({}),
  });
}
