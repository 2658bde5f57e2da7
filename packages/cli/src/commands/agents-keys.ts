import { isRecord } from '../http-client.js';
import { EXIT, paint } from '../io.js';
import { checkId, checkInteger, positional, stringOf } from './agents-args.js';
import {
  type AgentsCommand,
  arrayField,
  type Json,
  objectField,
  printJson,
  secretLines,
  table,
  text,
} from './agents-format.js';

export const DEFAULT_OVERLAP_SECONDS = 3600;

export const keys: AgentsCommand = {
  help: `Usage: warden agents keys <agt_id>

Lists an agent's API keys (never their secrets): hint, creation, expiry, last use and revocation.
`,
  options: {},
  positionals: ['agent id'],
  prepare(_values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'keys'));
    return async (api, io, json) => {
      const response = await api.request('GET', `/v1/agents/${id}/keys`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const listed = arrayField(response, 'keys');
      if (listed.length === 0) io.out(`agent ${id} has no keys\n`);
      else io.out(table(io, ['KEY', 'HINT', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'], listed.map(keyRow)));
      return EXIT.ok;
    };
  },
};

function keyRow(key: Json): string[] {
  return [
    text(key.id),
    text(key.hint),
    keyState(key),
    text(key.createdAt),
    text(key.expiresAt, 'never'),
    text(key.lastUsedAt, 'never'),
  ];
}

function keyState(key: Json): string {
  if (key.revokedAt) return 'revoked';
  const expires = typeof key.expiresAt === 'string' ? Date.parse(key.expiresAt) : Number.NaN;
  return expires <= Date.now() ? 'expired' : 'active';
}

export const rotateKey: AgentsCommand = {
  help: `Usage: warden agents rotate-key <agt_id> [--overlap <seconds>] [--expires-in <seconds>]

Issues a new API key and prints its secret once. The agent's previous keys keep working for the
overlap (default ${DEFAULT_OVERLAP_SECONDS} seconds, 0 to stop them at once), so it can switch without downtime.

  --overlap <seconds>      how long the previous keys stay valid (default ${DEFAULT_OVERLAP_SECONDS})
  --expires-in <seconds>   when the new key expires, at least 60 (default: never)
`,
  options: { overlap: { type: 'string' }, 'expires-in': { type: 'string' } },
  positionals: ['agent id'],
  prepare(values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'rotate-key'));
    const overlap = stringOf(values, 'overlap');
    const expiresIn = stringOf(values, 'expires-in');
    const overlapSeconds =
      overlap === undefined ? DEFAULT_OVERLAP_SECONDS : checkInteger('--overlap', overlap, 0);
    const body: Record<string, unknown> = { rotate: { overlapSeconds } };
    if (expiresIn !== undefined) body.expiresInSeconds = checkInteger('--expires-in', expiresIn, 60);
    return async (api, io, json) => {
      const response = await api.request('POST', `/v1/agents/${id}/keys`, body);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const key = objectField(response, 'key');
      io.out(`${paint(io, 'green', 'new key for agent')} ${id}\n`);
      io.out(secretLines(io, key, (response as { secret?: unknown }).secret));
      io.out(
        overlapSeconds === 0
          ? 'The previous keys were revoked.\n'
          : `The previous keys keep working for ${overlapSeconds} seconds.\n`,
      );
      return EXIT.ok;
    };
  },
};

export const revokeKey: AgentsCommand = {
  help: `Usage: warden agents revoke-key <agt_id> <key_id>

Revokes one API key at once. Other keys of the agent keep working.
`,
  options: {},
  positionals: ['agent id', 'key id'],
  prepare(_values, positionals) {
    const id = checkId('agent id', 'agt', positional(positionals, 0, 'agent id', 'revoke-key'));
    const keyId = checkId('key id', 'key', positional(positionals, 1, 'key id', 'revoke-key'));
    return async (api, io, json) => {
      const response = await api.request('DELETE', `/v1/agents/${id}/keys/${keyId}`);
      if (json) {
        printJson(io, response);
        return EXIT.ok;
      }
      const key = isRecord(response) && isRecord(response.key) ? response.key : undefined;
      const at = key?.revokedAt ? ` at ${text(key.revokedAt)}` : '';
      io.out(`${paint(io, 'green', 'revoked key')} ${keyId} of agent ${id}${at}\n`);
      return EXIT.ok;
    };
  },
};
