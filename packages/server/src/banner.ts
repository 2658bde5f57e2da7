import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isPostgres } from './config/config.js';
import type { SignInLink } from './console/console-sessions.js';
import { consoleDir } from './console/static/console-dir.js';
import { displayPath } from './display-path.js';
import type { WardenNode } from './main.js';
import { ADMIN_TOKEN_FILE } from './tenants/bootstrap.js';
import { WARDEN_VERSION } from './version.js';

/**
 * What started and where: the lines a person needs before anything else. `signIn` is a one-time
 * console link for the admin (absent when the console is off).
 */
export function banner(node: WardenNode, baseUrl: string, signIn?: SignInLink): string[] {
  const { config, bootstrap } = node;
  const version = node.registry.versionOf(bootstrap.tenant.id);
  const tokenFile = displayPath(bootstrap.tokenFile ?? join(config.dataDir, ADMIN_TOKEN_FILE));
  return [
    `Warden ${WARDEN_VERSION} listening on ${baseUrl}`,
    `  API:       ${baseUrl}/v1/…   (OpenAPI: ${baseUrl}/openapi.json, health: /healthz)`,
    ...consoleLines(node, baseUrl, signIn),
    `  data:      ${isPostgres(config) ? `PostgreSQL; keys and tokens in ${displayPath(config.dataDir)}` : `SQLite in ${displayPath(config.dataDir)}`}`,
    `  policies:  ${config.policyDir ? displayPath(config.policyDir) : 'none configured (WARDEN_POLICY_DIR)'}${version ? ` (version ${version.slice(0, 12)})` : ''}`,
    `  tenant:    ${bootstrap.tenant.slug} (${bootstrap.tenant.id})`,
    bootstrap.created
      ? `  admin:     ${bootstrap.created.adminToken.secret}  (shown once; saved in ${tokenFile})`
      : `  admin:     the token in ${tokenFile} (written at the first start)`,
    `  logs:      ${config.logFormat === 'pretty' ? 'one line per event below; WARDEN_LOG_FORMAT=json for JSON lines' : 'JSON lines (WARDEN_LOG_FORMAT=json)'}`,
  ];
}

export function nextStep(node: WardenNode): string[] {
  const tokenFile = displayPath(node.bootstrap.tokenFile ?? join(node.config.dataDir, ADMIN_TOKEN_FILE));
  return [
    '',
    'Next, in another terminal: register an agent (see docs/agents.md):',
    '',
    `  export WARDEN_TOKEN=$(cat ${tokenFile})`,
    '  npx warden agents create --help',
  ];
}

/** The console's address and the admin's one-time sign-in link, or why there is none. */
function consoleLines(node: WardenNode, baseUrl: string, signIn: SignInLink | undefined): string[] {
  if (node.config.console === 'off') return ['  console:   off (WARDEN_CONSOLE=off)'];
  const dir = consoleDir(node.config.consoleDir);
  const built = dir !== undefined && existsSync(join(dir, 'index.html'));
  const minutes = Math.round(node.config.consoleSignInCodeSeconds / 60);
  return [
    `  console:   ${baseUrl}/${built ? '' : '   (not built yet: run npm run build)'}`,
    ...(signIn ? [`  sign in:   ${signIn.url}   (the admin; one use, ${minutes} min)`] : []),
  ];
}
