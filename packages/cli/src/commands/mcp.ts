import { type CliIo, EXIT, UsageError } from '../io.js';
import { mcpConnect } from './mcp-connect.js';
import { mcpServers } from './mcp-servers.js';

export const MCP_HELP = `Usage: warden mcp <command> [options]

Warden's MCP gateway, where every tool call is decided under your organisation's policies before
it runs: connect MCP clients to it, and manage the upstream MCP servers behind it.

Commands:
  connect             serve MCP over stdio for a desktop client (Claude Desktop, Cursor, …) and
                      relay it to the gateway as the agent of WARDEN_AGENT_KEY
                      [--server <name>] [--url <url>]
  servers <command>   list, add, update and remove the upstream servers, and list a server's
                      tools (list, tools, add, update, remove)

Run "warden mcp connect --help" or "warden mcp servers --help" for their options.
`;

/** `warden mcp <sub> …`. */
export async function mcp(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(MCP_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  if (sub === 'connect') return mcpConnect(io, rest, env);
  if (sub === 'servers') return mcpServers(io, rest, env);
  throw new UsageError(`unknown command "mcp ${sub}"\n\n${MCP_HELP}`);
}
