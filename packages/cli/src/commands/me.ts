import { type ApiClient, createClient, DEFAULT_URL, RequestFailed, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT } from '../io.js';
import { printJson } from './agents-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

type MeCommand = CheckedCommand<ApiClient>;

async function ask(io: CliIo, prompt: string): Promise<string> {
  if (!io.readSecret)
    throw new RequestFailed('error: this needs a terminal or stdin to read the secret from');
  const secret = await io.readSecret(prompt);
  if (secret === '') throw new RequestFailed('error: no secret given');
  return secret;
}

const reauthSecret: MeCommand = {
  help: `Usage: warden me reauth-secret [--change]

Sets your re-authentication secret: what you type again ("warden approvals approve <id> --reauth")
to approve a step that asks the initiator to re-authenticate. Keep it apart from your API token
(a password manager, your memory): a leaked token alone then cannot approve such a step. At least
12 characters. Asked for at the terminal without echo, or read from stdin (one line per secret).

  --change   change an existing secret: asks for the current one first
`,
  options: { change: { type: 'boolean' } },
  positionals: [],
  prepare(values) {
    const change = values.change === true;
    return async (client, io, json) => {
      const currentSecret = change ? await ask(io, 'Current re-authentication secret: ') : undefined;
      const secret = await ask(io, 'New re-authentication secret: ');
      const body = await client.request('PUT', '/v1/me/reauth-secret', {
        secret,
        ...(currentSecret ? { currentSecret } : {}),
      });
      if (json) printJson(io, body);
      else io.out('re-authentication secret set\n');
      return EXIT.ok;
    };
  },
};

const CONNECTION_HELP = `
Connection:
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   your human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const ME_HELP = `Usage: warden me <command> [options]

Your own settings as a human of the tenant.

Commands:
  reauth-secret               set (or --change) your re-authentication secret
${CONNECTION_HELP}`;

export function me(io: CliIo, argv: readonly string[], env: Readonly<Record<string, string | undefined>>) {
  return runCheckedGroup(
    io,
    { name: 'me', help: ME_HELP, commands: { 'reauth-secret': reauthSecret }, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
