import type { App } from '../../http/app.js';
import type { ConsoleRouteServices } from './console-schemas.js';
import { registerCreateSignInLink } from './create-sign-in-link.js';
import { registerGetSession } from './get-session.js';
import { registerListSessions } from './list-sessions.js';
import { registerRevokeSession } from './revoke-session.js';
import { registerSignIn } from './sign-in.js';
import { registerSignOut } from './sign-out.js';

/** The console's sign-in and sessions. */
export function registerConsoleSessionRoutes(app: App, services: ConsoleRouteServices): void {
  for (const register of [
    registerSignIn,
    registerGetSession,
    registerSignOut,
    registerListSessions,
    registerRevokeSession,
    registerCreateSignInLink,
  ]) {
    register(app, services);
  }
}
