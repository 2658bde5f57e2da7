import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { StrictObject } from '../../http/schemas.js';
import type { AgentLifecycle } from '../agent-lifecycle.js';
import { registerTransition } from './transition-route.js';

/** POST /v1/agents/:id/suspend: stops an agent at once; the reason is required and audited. */
export function registerSuspendAgent(app: App, lifecycle: AgentLifecycle): void {
  registerTransition(app, lifecycle, {
    action: 'suspend',
    auth: { kind: 'human' },
    summary: 'Suspend an agent (admin, security, or its owner)',
    body: StrictObject({ reason: Type.String({ minLength: 1, maxLength: 500 }) }),
  });
}
