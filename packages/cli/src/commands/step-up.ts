import {
  type ApiClient,
  createClient,
  DEFAULT_URL,
  isRecord,
  RequestFailed,
  TOKEN_FILE,
} from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { stringOf } from './agents-args.js';
import { keyValues, printJson } from './agents-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

type HookCommand = CheckedCommand<ApiClient>;

function printHook(io: CliIo, body: unknown, json: boolean): void {
  if (json) {
    printJson(io, body);
    return;
  }
  const hook = isRecord(body) && isRecord(body.hook) ? body.hook : {};
  io.out(
    keyValues([
      ['url', String(hook.url ?? '')],
      ['updated by', String(hook.updatedBy ?? '')],
      ['updated at', String(hook.updatedAt ?? '')],
    ]),
  );
}

const show: HookCommand = {
  help: `Usage: warden step-up hook show

Shows the tenant's step-up hook (never its secret).
`,
  options: {},
  positionals: [],
  prepare: () => async (client, io, json) => {
    printHook(io, await client.request('GET', '/v1/step-up/hook'), json);
    return EXIT.ok;
  },
};

const set: HookCommand = {
  help: `Usage: warden step-up hook set --hook-url <url>

Sets where Warden sends signed re-authentication requests for initiators who are not Warden users
(your product's end customers), and the shared secret both sides sign with (HMAC-SHA256, at least
32 characters), asked for at the terminal or read from stdin. Admins only.

  --hook-url <url>   the product's endpoint that takes the requests (http or https)
`,
  options: { 'hook-url': { type: 'string' } },
  positionals: [],
  prepare(values) {
    const url = stringOf(values, 'hook-url');
    if (url === undefined) throw new UsageError('step-up hook set: --hook-url is required');
    return async (client, io, json) => {
      if (!io.readSecret)
        throw new RequestFailed('error: this needs a terminal or stdin to read the secret from');
      const secret = await io.readSecret('Hook secret: ');
      printHook(io, await client.request('PUT', '/v1/step-up/hook', { url, secret }), json);
      return EXIT.ok;
    };
  },
};

const remove: HookCommand = {
  help: `Usage: warden step-up hook remove

Removes the tenant's step-up hook: reviews that only an end customer could confirm are then
refused when decided (no_eligible_approver).
`,
  options: {},
  positionals: [],
  prepare: () => async (client, io, json) => {
    const body = await client.request('DELETE', '/v1/step-up/hook');
    if (json) printJson(io, body);
    else io.out('step-up hook removed\n');
    return EXIT.ok;
  },
};

const CONNECTION_HELP = `
Connection:
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   an admin's API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const STEP_UP_HELP = `Usage: warden step-up hook <command> [options]

The step-up hook: how Warden asks your product to re-authenticate an end customer a task runs for
(a step that asks the initiator, who is not a Warden user, to approve).

Commands:
  show                        the hook's URL (not its secret)
  set --hook-url <url>        set it; the shared secret is asked for
  remove                      remove it
${CONNECTION_HELP}`;

/** `warden step-up hook <sub> ...`. */
export function stepUp(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
) {
  const [area, ...rest] = argv;
  if (area === undefined || area === '--help' || area === '-h' || area === 'help') {
    io.out(STEP_UP_HELP);
    return Promise.resolve(area === undefined ? EXIT.usage : EXIT.ok);
  }
  if (area !== 'hook') throw new UsageError(`unknown command "step-up ${area}"\n\n${STEP_UP_HELP}`);
  return runCheckedGroup(
    io,
    { name: 'step-up hook', help: STEP_UP_HELP, commands: { show, set, remove }, target: createClient },
    rest,
    env,
    CONNECTION_HELP,
  );
}
