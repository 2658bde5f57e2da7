import { createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT, paint } from '../io.js';
import { arrayField, objectField, printJson, table, text } from './agents-format.js';
import {
  addBody,
  ENTRY_OPTIONS,
  type ServersCommand,
  type Surroundings,
  serverNameArgument,
  UPDATE_OPTIONS,
  updateBody,
} from './mcp-servers-args.js';
import { lastErrors, SERVER_HEADERS, serverLines, serverRow, toolsTable } from './mcp-servers-format.js';
import { runCheckedGroup } from './subcommand.js';

const CONNECTION_HELP = `
Connection (every mcp servers command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const SERVERS_HELP = `Usage: warden mcp servers <command> [options]

The upstream MCP servers behind the tenant's MCP gateway. Admins, security and auditors list them;
admins and security add, change and remove the ones made through the API (source api). Servers
from the servers file (WARDEN_MCP_SERVERS_FILE, source file) are changed in that file.

Commands:
  list                            the servers: transport, target, source, state, restarts
  tools <name>                    a server's tools, as Warden names them (<server>.<tool>)
  add <name> --upstream-url <url> | --command <cmd> | --file <entry>
                                  add a server
  update <name> [options]         change a server's fields
  remove <name>                   remove a server
${CONNECTION_HELP}
Run "warden mcp servers <command> --help" for a command's options.
`;

const ENTRY_HELP = `  --upstream-url <url>        an http server (Streamable HTTP) at this URL
  --command <cmd>             a stdio server: the command the Warden node starts, one the
                              operator allows in WARDEN_MCP_API_COMMANDS (none by default)
  --arg <arg>                 an argument of the command (repeatable, in order); one that
                              starts with "-" is written --arg=-y
  --env <NAME=value>          a plain environment variable of the command (repeatable)
  --secret-env <NAME[=VAR]>   a secret environment variable, its value read from the (exported)
                              environment variable VAR (default NAME), never from the command
                              line (repeatable)
  --header <Name=value>       a plain HTTP header sent to the server (repeatable)
  --secret-header <Name=VAR>  a secret header, its value read from the environment variable VAR
                              (repeatable), e.g. --secret-header Authorization=SEARCH_AUTH
  --cwd <dir>                 the command's working directory (absolute, on the Warden node)
  --timeout <seconds>         per upstream call, 1 to 3600 (the server's default: 60)
  --estimate <tool>=<usd>     the cost reserved against budgets per call of an upstream tool
                              (repeatable)
`;

const FILE_HELP = `A --file entry is JSON (.json) or YAML (.yaml, .yml) with the fields of a servers file entry:
name, transport (stdio or http), command, args, env, cwd, url, headers, timeoutSeconds, tools. Its
name must be the <name> given, or absent. A secret is written {"secret": "<value>"}; fromEnv and
fromFile references belong in the servers file and are refused by the API.
`;

function list(): ServersCommand {
  return {
    help: `Usage: warden mcp servers list

Lists the tenant's upstream MCP servers (GET /v1/mcp/servers): each one's transport, source (file:
the servers file, api: added through the API), target (its URL, or its command and arguments), state
(as supervised on the node that answers) and restarts. Errors of the last start or call follow the
table.
`,
    options: {},
    positionals: [],
    prepare() {
      return async (api, io, json) => {
        const response = await api.request('GET', '/v1/mcp/servers');
        if (json) {
          printJson(io, response);
          return EXIT.ok;
        }
        const servers = arrayField(response, 'servers');
        if (servers.length === 0) {
          io.out('no MCP servers\n');
          return EXIT.ok;
        }
        io.out(
          table(
            io,
            SERVER_HEADERS,
            servers.map((server) => serverRow(server)),
          ),
        );
        io.out(lastErrors(io, servers));
        return EXIT.ok;
      };
    },
  };
}

function tools(): ServersCommand {
  return {
    help: `Usage: warden mcp servers tools <name>

Lists one server's tools (GET /v1/mcp/servers/<name>/tools) under the names policies, budgets and
the audit use (<server>.<tool>), with the first line of each description. The server is started if
it is not running; one that cannot be started is an error (exit 1) saying why.
`,
    options: {},
    positionals: ['name'],
    prepare(_values, positionals) {
      const name = serverNameArgument(positionals, 'mcp servers tools');
      return async (api, io, json) => {
        const response = await api.request('GET', `/v1/mcp/servers/${name}/tools`);
        if (json) {
          printJson(io, response);
          return EXIT.ok;
        }
        const found = arrayField(response, 'tools');
        io.out(found.length === 0 ? `server ${name} has no tools\n` : toolsTable(io, found));
        return EXIT.ok;
      };
    },
  };
}

function add(around: Surroundings): ServersCommand {
  return {
    help: `Usage: warden mcp servers add <name> (--upstream-url <url> | --command <cmd>) [options]
       warden mcp servers add <name> --file <entry.json|entry.yaml>

Adds an upstream MCP server to the tenant (POST /v1/mcp/servers; admin or security). Its tools are
named <name>.<tool> in policies, budgets and the audit. Secrets are stored encrypted on the server
and never shown again; list shows them as (stored secret).

  <name>                      1-40 lower-case letters, digits, "-" or "_"
${ENTRY_HELP}  --file <entry>              the whole entry from a file instead of the flags above

${FILE_HELP}`,
    options: ENTRY_OPTIONS,
    positionals: ['name'],
    prepare(values, positionals) {
      const name = serverNameArgument(positionals, 'mcp servers add');
      const body = addBody(values, name, around);
      return async (api, io, json) => {
        const response = await api.request('POST', '/v1/mcp/servers', body);
        return printServer(io, json, response, 'added MCP server');
      };
    },
  };
}

function update(around: Surroundings): ServersCommand {
  return {
    help: `Usage: warden mcp servers update <name> [options]

Changes a server added through the API (PATCH /v1/mcp/servers/<name>; admin or security); only the
fields given. --arg and --estimate replace the whole list (all the arguments, all the estimates);
--env, --secret-env, --header and --secret-header change only the names given, and --unset-env and
--unset-header remove one. The transport and the name cannot change:
remove the server and add it again. Servers from the servers file are refused (conflict).

${ENTRY_HELP}  --unset-env <NAME>          remove an environment variable (repeatable)
  --unset-header <Name>       remove a header (repeatable)
  --file <fields>             the fields to change from a file instead of the flags above (JSON or
                              YAML, as for add; no transport; name absent or <name>)
`,
    options: UPDATE_OPTIONS,
    positionals: ['name'],
    prepare(values, positionals) {
      const name = serverNameArgument(positionals, 'mcp servers update');
      const body = updateBody(values, name, around);
      return async (api, io, json) => {
        const response = await api.request('PATCH', `/v1/mcp/servers/${name}`, body);
        return printServer(io, json, response, 'updated MCP server');
      };
    },
  };
}

function remove(): ServersCommand {
  return {
    help: `Usage: warden mcp servers remove <name>

Removes a server added through the API (DELETE /v1/mcp/servers/<name>; admin or security) and prints
it as it was. Its process or connection is closed; its tools disappear from agents' lists. Servers
from the servers file are refused (conflict).
`,
    options: {},
    positionals: ['name'],
    prepare(_values, positionals) {
      const name = serverNameArgument(positionals, 'mcp servers remove');
      return async (api, io, json) => {
        const response = await api.request('DELETE', `/v1/mcp/servers/${name}`);
        return printServer(io, json, response, 'removed MCP server');
      };
    },
  };
}

function printServer(io: CliIo, json: boolean, response: unknown, done: string): number {
  if (json) {
    printJson(io, response);
    return EXIT.ok;
  }
  const server = objectField(response, 'server');
  io.out(`${paint(io, 'green', done)} ${text(server.name)}\n${serverLines(server)}`);
  return EXIT.ok;
}

/** `warden mcp servers <sub> ...`: check the arguments (secrets read from `env`), connect, call the API. */
export function mcpServers(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const around: Surroundings = { env, cwd: io.cwd };
  return runCheckedGroup(
    io,
    {
      name: 'mcp servers',
      help: SERVERS_HELP,
      commands: { list: list(), tools: tools(), add: add(around), update: update(around), remove: remove() },
      target: createClient,
    },
    argv,
    env,
    CONNECTION_HELP,
  );
}
