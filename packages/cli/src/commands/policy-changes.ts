import { resolve } from 'node:path';
import { readBundleFiles } from '@warden/policy';
import { type ApiClient, createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { stringOf, stringsOf } from './agents-args.js';
import { printJson } from './agents-format.js';
import { loadOrReport } from './load.js';
import { impactText, reloadText, scheduledText, shadowText } from './policy-changes-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

/** The `warden policy` commands that talk to a server (the others work on a directory alone). */
export const SERVER_POLICY_COMMANDS = new Set(['impact', 'reload', 'scheduled', 'cancel', 'shadow']);

const CONNECTION_HELP = `
Connection:
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

const SHADOW_HELP = `Usage: warden policy shadow <start <dir> | stop | report> [options]

A candidate bundle run beside the active one on live traffic: every decision is also evaluated
against it, never enforced, and each divergence is recorded.

Commands:
  start <dir>     run the bundle in <dir> as the tenant's shadow (replaces a running one)
  stop            stop it; its divergences stay for the report
  report          divergences by rule, tool and agent [--version <version>]
${CONNECTION_HELP}`;

const POLICY_CHANGES_HELP = `Usage: warden policy <impact <dir> | reload | scheduled | cancel <id> | shadow …> [options]
${CONNECTION_HELP}`;

type PolicyCommand = CheckedCommand<ApiClient>;

/**
 * The candidate in `dir`, checked exactly as `warden policy lint` checks it (the same report on
 * stderr when it has errors: nothing is sent), then read as the files the API takes.
 */
async function candidateFiles(io: CliIo, dir: string): Promise<{ path: string; text: string }[] | undefined> {
  if (!(await loadOrReport(io, dir))) return undefined;
  const read = await readBundleFiles(resolve(io.cwd, dir));
  if (!read.ok) return undefined;
  return read.files.map((f) => ({ path: f.path, text: f.text }));
}

function impact(): PolicyCommand {
  return {
    help: `Usage: warden policy impact <dir> [--since <duration>] [--agent <id>]...

Replays the decisions recorded in the window against the bundle in <dir> (POST
/v1/policies/preview; admin, security) and reports every changed verdict, grouped by agent, tool
and rule, allow → deny first, with counts and example decisions. Decisions whose arguments were
redacted before storage are counted apart, never replayed with a guess. Nothing changes on the
server. A bundle with errors gets the same report as "warden policy lint" (exit 1).

Options:
  --since <duration>   how far back: 90s, 15m, 24h, 7d (default 7d)
  --agent <id>         only this agent's decisions (repeatable)
`,
    options: { since: { type: 'string' }, agent: { type: 'string', multiple: true } },
    positionals: ['dir'],
    prepare(values, positionals) {
      const dir = positionals[0];
      if (dir === undefined) throw new UsageError('policy impact: missing the bundle directory');
      const since = stringOf(values, 'since');
      const agents = stringsOf(values, 'agent');
      return async (api, io, json) => {
        const files = await candidateFiles(io, dir);
        if (!files) return EXIT.failed;
        const report = await api.request('POST', '/v1/policies/preview', {
          files,
          ...(since ? { since } : {}),
          ...(agents.length > 0 ? { agents } : {}),
        });
        if (json) printJson(io, report);
        else io.out(impactText(io, report));
        return EXIT.ok;
      };
    },
  };
}

function reload(): PolicyCommand {
  return {
    help: `Usage: warden policy reload [--notify-first <duration>]

Loads the server's policy directory (WARDEN_POLICY_DIR) and makes it the active version on every
node (POST /v1/policies/reload; admin, security). When the new version turns recorded allows of
active agents (last 7 days) into denies or reviews, their owners are told first; with a grace
period it is scheduled instead, and activated when the period ends unless cancelled.

Options:
  --notify-first <duration>   the grace period: 90s, 15m, 24h, 7d; 0s activates at once
                              (default: the tenant's setting)
`,
    options: { 'notify-first': { type: 'string' } },
    positionals: [],
    prepare(values) {
      const notifyFirst = stringOf(values, 'notify-first');
      return async (api, io, json) => {
        const body = await api.request(
          'POST',
          '/v1/policies/reload',
          notifyFirst ? { notifyFirst } : undefined,
        );
        if (json) printJson(io, body);
        else io.out(reloadText(body));
        return EXIT.ok;
      };
    },
  };
}

function scheduled(): PolicyCommand {
  return {
    help: `Usage: warden policy scheduled [--all]

Policy versions waiting for their notify-first grace period (GET /v1/policies/scheduled), with the
agents whose allows they take away.

Options:
  --all   also those activated, cancelled or superseded
`,
    options: { all: { type: 'boolean' } },
    positionals: [],
    prepare(values) {
      const path = `/v1/policies/scheduled${values.all === true ? '?all=true' : ''}`;
      return async (api, io, json) => {
        const body = await api.request('GET', path);
        if (json) printJson(io, body);
        else io.out(scheduledText(io, body));
        return EXIT.ok;
      };
    },
  };
}

function cancel(): PolicyCommand {
  return {
    help: `Usage: warden policy cancel <schedule-id>

Cancels a scheduled policy version before it becomes active (admin, security).
`,
    options: {},
    positionals: ['schedule-id'],
    prepare(_values, positionals) {
      const id = positionals[0];
      if (id === undefined) throw new UsageError('policy cancel: missing the schedule id (pls_…)');
      return async (api, io, json) => {
        const body = await api.request('POST', `/v1/policies/scheduled/${encodeURIComponent(id)}/cancel`);
        if (json) printJson(io, body);
        else io.out(`Cancelled ${id}: the active version is unchanged.\n`);
        return EXIT.ok;
      };
    },
  };
}

function shadowStart(): PolicyCommand {
  return {
    help: `Usage: warden policy shadow start <dir>

Runs the bundle in <dir> as the tenant's shadow (POST /v1/policies/shadow; admin, security). A
bundle with errors gets the same report as "warden policy lint" (exit 1) and nothing starts.
`,
    options: {},
    positionals: ['dir'],
    prepare(_values, positionals) {
      const dir = positionals[0];
      if (dir === undefined) throw new UsageError('policy shadow start: missing the bundle directory');
      return async (api, io, json) => {
        const files = await candidateFiles(io, dir);
        if (!files) return EXIT.failed;
        const body = (await api.request('POST', '/v1/policies/shadow', { files })) as { version: string };
        if (json) printJson(io, body);
        else
          io.out(
            `Shadow ${body.version.slice(0, 12)} runs beside the active version; it is never enforced.\n`,
          );
        return EXIT.ok;
      };
    },
  };
}

function shadowStop(): PolicyCommand {
  return {
    help: "Usage: warden policy shadow stop\n\nStops the tenant's shadow bundle (its divergences stay for the report).\n",
    options: {},
    positionals: [],
    prepare() {
      return async (api, io, json) => {
        const body = (await api.request('DELETE', '/v1/policies/shadow')) as { version: string };
        if (json) printJson(io, body);
        else io.out(`Stopped shadow ${body.version.slice(0, 12)}.\n`);
        return EXIT.ok;
      };
    },
  };
}

function shadowReportCommand(): PolicyCommand {
  return {
    help: `Usage: warden policy shadow report [--version <version>]

The shadow bundle's divergences from the active one, by rule, tool and agent (GET
/v1/policies/shadow; admin, security, auditor): the running shadow's since it started, or those
of an earlier shadow version.

Options:
  --version <version>   an earlier shadow version
`,
    options: { version: { type: 'string' } },
    positionals: [],
    prepare(values) {
      const version = stringOf(values, 'version');
      const path = `/v1/policies/shadow${version ? `?version=${encodeURIComponent(version)}` : ''}`;
      return async (api, io, json) => {
        const report = await api.request('GET', path);
        if (json) printJson(io, report);
        else io.out(shadowText(io, report));
        return EXIT.ok;
      };
    },
  };
}

/** `warden policy impact|reload|scheduled|cancel|shadow …`. */
export function policyChanges(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  if (argv[0] === 'shadow') {
    const commands = { start: shadowStart(), stop: shadowStop(), report: shadowReportCommand() };
    return runCheckedGroup(
      io,
      { name: 'policy shadow', help: SHADOW_HELP, commands, target: createClient },
      argv.slice(1),
      env,
      CONNECTION_HELP,
    );
  }
  const commands = { impact: impact(), reload: reload(), scheduled: scheduled(), cancel: cancel() };
  return runCheckedGroup(
    io,
    { name: 'policy', help: POLICY_CHANGES_HELP, commands, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
