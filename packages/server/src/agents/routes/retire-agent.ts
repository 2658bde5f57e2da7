import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { StrictObject } from '../../http/schemas.js';
import type { AgentLifecycle } from '../agent-lifecycle.js';
import { registerTransition } from './transition-route.js';

/** POST /v1/agents/:id/retire: ends an agent for good and revokes all its keys; its history stays. */
export function registerRetireAgent(app: App, lifecycle: AgentLifecycle): void {
  registerTransition(app, lifecycle, {
    action: 'retire',
    auth: { kind: 'human' },
    summary: 'Retire an agent (admin, or its owner)',
    body: StrictObject({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }),
  });
}
