import {
  type ApiClient,
  createClient,
  DEFAULT_URL,
  isRecord,
  RequestFailed,
  TOKEN_FILE,
} from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { stringOf, stringsOf, type Values } from './agents-args.js';
import { printJson, table } from './agents-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

type GroupsCommand = CheckedCommand<ApiClient>;

interface Member {
  readonly humanId: string;
  readonly email: string;
  readonly name: string;
}
interface Group {
  readonly id: string;
  readonly name: string;
  readonly onCall: boolean;
  readonly members: readonly Member[];
}

const GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function groupName(positionals: readonly string[], command: string): string {
  const name = positionals[0];
  if (name === undefined) throw new UsageError(`groups ${command}: missing the group name`);
  if (!GROUP_NAME.test(name) && !/^grp_[0-9a-hjkmnp-tv-z]{26}$/.test(name)) {
    throw new UsageError(
      `group: expected a name of lower-case letters, digits, ".", "_" or "-" (or a grp_ id), got "${name}"`,
    );
  }
  return name;
}

/** Humans named on the command line (ids or e-mail addresses, comma-separated or repeated). */
function people(values: Values, flag: string): string[] {
  return stringsOf(values, flag)
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

async function groups(client: ApiClient): Promise<Group[]> {
  const body = await client.request('GET', '/v1/groups');
  if (!isRecord(body) || !Array.isArray(body.groups))
    throw new RequestFailed('error: unexpected response: no groups');
  return body.groups as Group[];
}

async function findGroup(client: ApiClient, reference: string): Promise<Group> {
  const found = (await groups(client)).find((g) => g.name === reference || g.id === reference);
  if (!found) throw new RequestFailed(`error: the tenant has no group "${reference}" (warden groups list)`);
  return found;
}

/** Ids for people given by id or e-mail address, looked up among the tenant's humans. */
async function humanIds(client: ApiClient, references: readonly string[]): Promise<string[]> {
  if (references.length === 0) return [];
  const body = await client.request('GET', '/v1/humans');
  const humans = (isRecord(body) && Array.isArray(body.humans) ? body.humans : []) as {
    id: string;
    email: string;
  }[];
  return references.map((reference) => {
    const human = humans.find((h) => h.id === reference || h.email.toLowerCase() === reference.toLowerCase());
    if (!human)
      throw new RequestFailed(
        `error: no human "${reference}" in this tenant (give an id or an e-mail address)`,
      );
    return human.id;
  });
}

function memberList(group: Group): string {
  return group.members.length === 0 ? 'none' : group.members.map((m) => m.email).join(', ');
}

function printGroup(io: CliIo, group: Group, json: boolean, body: unknown): void {
  if (json) {
    printJson(io, body);
    return;
  }
  io.out(`${group.name} (${group.id})${group.onCall ? ', on-call rotation' : ''}\n`);
  io.out(
    group.members.length === 0
      ? '  no members\n'
      : group.members.map((m, i) => `  ${i + 1}. ${m.email}  ${m.name}  ${m.humanId}\n`).join(''),
  );
}

const list: GroupsCommand = {
  help: `Usage: warden groups list

Lists the tenant's groups: name, id, whether the member order is an on-call rotation, members.
`,
  options: {},
  positionals: [],
  prepare: () => async (client, io, json) => {
    const all = await groups(client);
    if (json) {
      printJson(io, { groups: all });
      return EXIT.ok;
    }
    io.out(
      table(
        io,
        ['NAME', 'ID', 'ON-CALL', 'MEMBERS'],
        all.map((g) => [g.name, g.id, g.onCall ? 'yes' : 'no', memberList(g)]),
      ),
    );
    return EXIT.ok;
  },
};

const create: GroupsCommand = {
  help: `Usage: warden groups create <name> [--member <email or usr_id>]... [--on-call]

Creates a group approvers can name in policies as group:<name> (admins only).

  --member <who>   a member, by e-mail address or id; repeat it, or separate with commas
  --on-call        the member order is an on-call rotation: the first is notified first
`,
  options: { member: { type: 'string', multiple: true }, 'on-call': { type: 'boolean' } },
  positionals: ['name'],
  prepare(values, positionals) {
    const name = groupName(positionals, 'create');
    if (!GROUP_NAME.test(name)) throw new UsageError(`groups create: a new group needs a name, not an id`);
    const members = people(values, 'member');
    const onCall = values['on-call'] === true;
    return async (client, io, json) => {
      const ids = await humanIds(client, members);
      const body = await client.request('POST', '/v1/groups', {
        name,
        members: ids,
        ...(onCall ? { onCall } : {}),
      });
      if (!isRecord(body) || !isRecord(body.group))
        throw new RequestFailed('error: unexpected response: no group');
      printGroup(io, body.group as unknown as Group, json, body);
      return EXIT.ok;
    };
  },
};

const members: GroupsCommand = {
  help: `Usage: warden groups members <name> [--set <who,…>] [--add <who>]... [--remove <who>]...

Shows a group's members in order; with --set, --add or --remove, changes them first (admins only).
The order is the on-call rotation of an on-call group. People are e-mail addresses or ids.

  --set <who,…>    the members, exactly and in this order ("" for none)
  --add <who>      add at the end (repeatable)
  --remove <who>   remove (repeatable)
`,
  options: {
    set: { type: 'string' },
    add: { type: 'string', multiple: true },
    remove: { type: 'string', multiple: true },
  },
  positionals: ['name'],
  prepare(values, positionals) {
    const name = groupName(positionals, 'members');
    const set = stringOf(values, 'set');
    const add = people(values, 'add');
    const remove = people(values, 'remove');
    if (set !== undefined && (add.length > 0 || remove.length > 0)) {
      throw new UsageError('groups members: give --set, or --add/--remove, not both');
    }
    return async (client, io, json) => {
      const group = await findGroup(client, name);
      const changes = set !== undefined || add.length > 0 || remove.length > 0;
      if (!changes) {
        printGroup(io, group, json, { group });
        return EXIT.ok;
      }
      let next: string[];
      if (set !== undefined) {
        next = await humanIds(
          client,
          set
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        );
      } else {
        const removed = new Set(await humanIds(client, remove));
        const added = await humanIds(client, add);
        next = [...group.members.map((m) => m.humanId).filter((id) => !removed.has(id)), ...added].filter(
          (id, i, all) => all.indexOf(id) === i,
        );
      }
      const body = await client.request('PUT', `/v1/groups/${group.id}/members`, { members: next });
      if (!isRecord(body) || !isRecord(body.group))
        throw new RequestFailed('error: unexpected response: no group');
      printGroup(io, body.group as unknown as Group, json, body);
      return EXIT.ok;
    };
  },
};

const remove: GroupsCommand = {
  help: `Usage: warden groups delete <name>

Deletes a group (admins only). Policies that name it then have nobody to route to: check them with
"warden policy lint <dir> --server".
`,
  options: {},
  positionals: ['name'],
  prepare(_values, positionals) {
    const name = groupName(positionals, 'delete');
    return async (client, io, json) => {
      const group = await findGroup(client, name);
      const body = await client.request('DELETE', `/v1/groups/${group.id}`);
      if (json) printJson(io, body);
      else io.out(`deleted group ${group.name} (${group.id})\n`);
      return EXIT.ok;
    };
  },
};

const COMMANDS: Readonly<Record<string, GroupsCommand>> = { list, create, members, delete: remove };

const CONNECTION_HELP = `
Connection (every groups command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const GROUPS_HELP = `Usage: warden groups <command> [options]

The tenant's groups of humans, which policies name as approvers (group:<name>).

Commands:
  list                        list groups and their members
  create <name>               create one [--member <who>]... [--on-call]
  members <name>              show its members [--set <who,…>] [--add <who>] [--remove <who>]
  delete <name>               delete one
${CONNECTION_HELP}
Run "warden groups <command> --help" for a command's options.
`;

/** `warden groups <sub> ...`: check the arguments, then connect, then call the API. */
export function groupsCommand(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'groups', help: GROUPS_HELP, commands: COMMANDS, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
