import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { DEFAULT_URL, resolveUrl } from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { GatewayLink, GatewayUnavailable } from '../mcp/gateway-link.js';
import { StdioUntilClosed } from '../mcp/stdio-until-closed.js';
import { ToolRelay } from '../mcp/tool-relay.js';

/*
 * Design: a proxy of two SDK endpoints, not a message pipe.
 *
 * The desktop client and the gateway each negotiate their own protocol era. Over stdio a client may
 * open with a 2025 `initialize` or a 2026-07-28 `server/discover`, and on 2026-07-28 it expects
 * `tools/list_changed` on a `subscriptions/listen` stream; over HTTP the bridge talks 2026-07-28 to
 * the gateway, statelessly, with its own envelope and its own listen stream. A pipe between the stdio
 * server transport and the HTTP client transport would have to make both ends speak one era, carry
 * the negotiated version and session id into the HTTP transport, rewrite the per-request envelope and
 * translate listen streams; and a 2025 session would die with every gateway restart.
 *
 * So the stdio side is `serveStdio` with an SDK `Server` per connection (it owns the era decision, as
 * any stdio server built on the SDK), the gateway side is an SDK `Client` (negotiating as any client
 * does), and `ToolRelay` maps between them what the gateway serves: tools/list, tools/call with
 * progress and cancellation, and `notifications/tools/list_changed`. A lost gateway connection is
 * replaced on the next request without the desktop client noticing. The cost: a method the gateway
 * adds later needs a handler here before desktop clients see it.
 */

const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export const CONNECT_HELP = `Usage: warden mcp connect [--server <name>] [--url <url>]

Serves MCP over stdio for a desktop MCP client (Claude Desktop, Cursor, …) and relays it to
Warden's MCP gateway as the agent whose key is WARDEN_AGENT_KEY. The client sees the tools the
agent's policies could allow; each call is decided by Warden before it runs, and a refused or
held call comes back as a tool error saying why.

  --server <name>   only this upstream server's tools, under their own names (the gateway's
                    /mcp/<name>); without it every server's, named <server>.<tool> (/mcp)
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})

Environment:
  WARDEN_AGENT_KEY  the agent's key (wdn_a_…), required. Only read from the environment, so it
                    never shows in a process list.
  WARDEN_URL        the Warden server, when --url is not given

A client's configuration:
  {"command": "npx", "args": ["warden", "mcp", "connect"],
   "env": {"WARDEN_URL": "https://warden.example.com", "WARDEN_AGENT_KEY": "wdn_a_…"}}

stdout carries only MCP messages; diagnostics go to stderr. Exits 0 when the client closes stdin,
1 when the gateway cannot be used at start (unreachable, key refused, no such server), 2 on a
usage error (WARDEN_AGENT_KEY missing or not an agent key).
`;

/** `warden mcp connect`: checks the key, connects to the gateway, then serves stdio until stdin ends. */
export async function mcpConnect(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      server: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(CONNECT_HELP);
    return EXIT.ok;
  }
  if (positionals[0] !== undefined)
    throw new UsageError(`mcp connect: unexpected argument "${positionals[0]}"`);
  const key = agentKey(env);
  const endpoint = gatewayEndpoint(resolveUrl(values.url, env), values.server);

  const say = (line: string) => io.err(`warden mcp connect: ${line}\n`);
  const link = new GatewayLink({ endpoint, key, onToolsChanged: () => relay.toolsChanged(), warn: say });
  const relay = new ToolRelay(link);
  try {
    await link.connect();
  } catch (error) {
    if (!(error instanceof GatewayUnavailable)) throw error;
    say(`error: ${error.message}`);
    return EXIT.failed;
  }
  say(`relaying stdio to the Warden gateway at ${link.endpoint}`);

  const stdio = new StdioUntilClosed();
  const serving = serveStdio(() => relay.server(), {
    transport: stdio,
    onerror: (error) => say(error.message),
  });
  await stdio.closed;
  await serving.close();
  await link.close();
  return EXIT.ok;
}

/** WARDEN_AGENT_KEY, checked to be an agent key before anything is sent. Never printed. */
function agentKey(env: Readonly<Record<string, string | undefined>>): string {
  const key = env.WARDEN_AGENT_KEY?.trim();
  if (!key) {
    throw new UsageError(
      "mcp connect: set WARDEN_AGENT_KEY to the agent's key (wdn_a_…): the gateway serves agents, and the bridge acts as one",
    );
  }
  if (!key.startsWith('wdn_a_')) {
    const human = key.startsWith('wdn_u_') ? ' (this is a human token; the gateway serves agents only)' : '';
    throw new UsageError(
      `mcp connect: WARDEN_AGENT_KEY is not an agent key, which starts with wdn_a_${human}`,
    );
  }
  return key;
}

/** `/mcp` for every server's tools, `/mcp/<server>` for one server's. */
function gatewayEndpoint(base: string, server: string | undefined): URL {
  if (server === undefined) return new URL(`${base}/mcp`);
  if (!SERVER_NAME.test(server)) {
    throw new UsageError(
      `mcp connect: --server "${server}" is not a server name (lower-case letters, digits, _ and -; at most 40)`,
    );
  }
  return new URL(`${base}/mcp/${server}`);
}
