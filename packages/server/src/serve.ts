import { banner, nextStep } from './banner.js';
import type { Config } from './config/config.js';
import { createNode, type WardenNode } from './main.js';

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
  // The demo seeds before the banner, so the notices it causes print first and the banner is what
  // stays on screen.
  const demoLines = options.demo ? await options.demo(node, baseUrl) : undefined;
  const signIn =
    config.console === 'on' ? await node.consoleSessions.linkForAdmin(node.bootstrap.tenant.id) : undefined;
  for (const line of banner(node, baseUrl, signIn)) print(line);
  for (const line of demoLines ?? nextStep(node)) print(line);
  print('');
  print('Press Ctrl-C to stop.');

  return node;
}
