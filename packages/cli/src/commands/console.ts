import { type ApiClient, createClient, DEFAULT_URL, RequestFailed, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT } from '../io.js';
import { checkId, checkText, stringOf } from './agents-args.js';
import { arrayField, printJson, text } from './agents-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

const CONNECTION_HELP = `
Connection:
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const CONSOLE_HELP = `Usage: warden console <command> [options]

The web console every Warden node serves at its address (see docs/console.md).

Commands:
  link [--human <usr_id or email>]   a one-time sign-in link for yourself, or (admin) for another human
${CONNECTION_HELP}
Run "warden console link --help" for its options.
`;

/** The human `--human` names: an id as is, an e-mail address looked up among the tenant's humans. */
async function humanIdOf(client: ApiClient, ref: string): Promise<string> {
  if (!ref.includes('@')) return ref;
  const humans = arrayField(await client.request('GET', '/v1/humans'), 'humans');
  const found = humans.find((human) => text(human.email).toLowerCase() === ref.toLowerCase());
  if (!found) throw new RequestFailed(`error: no human with e-mail ${ref} in this tenant`);
  return text(found.id);
}

const link: CheckedCommand<ApiClient> = {
  help: `Usage: warden console link [--human <usr_id or email>]

Prints a one-time link that signs into the web console: open it in a browser. It works once, within
10 minutes (WARDEN_CONSOLE_SIGN_IN_CODE_SECONDS); the code is in the link's #fragment, so it never
reaches a server log. Without --human the link is for the token's own holder; an admin may make one
for any human of the tenant.

  --human <usr_id or email>   whom the link signs in (admin)
`,
  options: { human: { type: 'string' } },
  positionals: [],
  prepare(values) {
    const ref = stringOf(values, 'human');
    if (ref !== undefined) {
      checkText('--human', ref);
      if (!ref.includes('@')) checkId('--human', 'usr', ref);
    }
    return async (client, io, json) => {
      const humanId = ref === undefined ? undefined : await humanIdOf(client, ref);
      const body = await client.request(
        'POST',
        '/v1/console/sign-in-links',
        humanId === undefined ? {} : { humanId },
      );
      if (json) {
        printJson(io, body);
        return EXIT.ok;
      }
      const made = body as Record<string, unknown>;
      io.out(`${text(made.url)}\n`);
      io.out(`one use, valid until ${text(made.expiresAt)}, signs in ${text(made.humanId)}\n`);
      return EXIT.ok;
    };
  },
};

/** `warden console <sub> ...`. */
export function consoleCommand(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'console', help: CONSOLE_HELP, commands: { link }, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
