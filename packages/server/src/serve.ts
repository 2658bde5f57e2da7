import { type Config, isPostgres } from './config/config.js';
import { displayPath } from './display-path.js';
import { createNode, type WardenNode } from './main.js';
import { WARDEN_VERSION } from './version.js';

export interface ServeOptions {
  readonly config: Config;
  /** Creates the demo agents (and prints their keys) in the default tenant. */
  readonly demo?: (node: WardenNode, baseUrl: string) => Promise<string[]>;
  readonly print: (line: string) => void;
  /** Whether to stop on SIGINT/SIGTERM (true for a real process). */
  readonly handleSignals?: boolean;
}

/**
 * Starts a node and prints what a person needs to use it. On Ctrl-C it stops accepting new
 * connections, lets in-flight requests finish (up to the grace period), flushes and exits.
 */
export async function serve(options: ServeOptions): Promise<WardenNode> {
  const { config, print } = options;
  const node = await createNode(config);
  // Before listening: a signal that arrives while the banner prints or the demo seeds must still
  // stop the node cleanly (and sign its last checkpoint), not kill it.
  if (options.handleSignals) {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      print(`\n${signal}: finishing in-flight requests…`);
      const force = setTimeout(() => process.exit(1), config.shutdownGraceMs);
      force.unref();
      node.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  }
  const baseUrl = (await node.listen()).replace('[::1]', 'localhost');
  const tenant = node.bootstrap.tenant;
  const version = node.registry.versionOf(tenant.id);
  print(`Warden ${WARDEN_VERSION} listening on ${baseUrl}`);
  print(`  storage:  ${isPostgres(config) ? 'PostgreSQL' : `SQLite in ${displayPath(config.dataDir)}`}`);
  print(
    `  policies: ${config.policyDir ? displayPath(config.policyDir) : 'none configured (WARDEN_POLICY_DIR)'}${version ? ` (version ${version.slice(0, 12)})` : ''}`,
  );
  print(`  tenant:   ${tenant.slug} (${tenant.id})`);
  print(`  API:      ${baseUrl}/openapi.json   health: ${baseUrl}/healthz`);
  if (node.bootstrap.created) {
    print('');
    print('Admin token (shown once; also saved with mode 0600 to the file below):');
    print(`  ${node.bootstrap.created.adminToken.secret}`);
    print(`  ${displayPath(node.bootstrap.tokenFile ?? '')}`);
  } else {
    print(`  admin token: in ${displayPath(`${config.dataDir}/admin-token`)} (written at the first start)`);
  }
  if (options.demo) {
    for (const line of await options.demo(node, baseUrl)) print(line);
  }
  print('');
  print('Press Ctrl-C to stop.');

  return node;
}
