import { type ApiClient, createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { arrayField, type Json, objectField, printJson, table, text } from './agents-format.js';
import { providersAdd, providersList, providersRemove, providersUpdate } from './llm-providers.js';
import type { Surroundings } from './mcp-servers-args.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

const CONNECTION_HELP = `
Connection (every llm command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const LLM_HELP = `Usage: warden llm <command> [options]

Warden's LLM proxy: the tenant's model providers, and shadow mode's comparison of a model with the
model that may replace it.

Commands:
  providers <command>     the tenant's providers: list, add, update, remove
  shadow report           each model against its shadow: calls compared, tokens, cost, tool-call
                          choices, text similarity and latency
                          [--since <duration>] [--from <iso>] [--to <iso>] [--agent <id>]
                          [--model <model>]
${CONNECTION_HELP}
Run "warden llm providers --help" or "warden llm shadow report --help" for their options.
`;

const PROVIDERS_HELP = `Usage: warden llm providers <command> [options]

The tenant's model providers. Admins, security and auditors list them; admins and security add,
change and remove the ones made through the API (source api). Providers from the providers file
(WARDEN_LLM_PROVIDERS_FILE, source file) are changed in that file.

Commands:
  list                    the providers: kind, source, base URL, models, shadow rules
  add <name> --kind <kind> --key-env <VAR> [options]
                          add a provider
  update <name> [options] change a provider's fields
  remove <name>           remove a provider
${CONNECTION_HELP}
Run "warden llm providers <command> --help" for a command's options.
`;

const SHADOW_HELP = `Usage: warden llm shadow report [options]

Shadow mode's comparison of each model with its shadow model.
${CONNECTION_HELP}
Run "warden llm shadow report --help" for its options.
`;

type LlmCommand = CheckedCommand<ApiClient>;

const DURATION = /^(\d+)([mhdw])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

function shadowReport(): LlmCommand {
  return {
    help: `Usage: warden llm shadow report [options]

Compares each model with its shadow model over a window (GET /v1/llm/shadow/report; admin,
security, auditor), from the shadow calls Warden made: calls compared, skipped and failed; output
tokens and cost of both sides; calls where the two models chose other tools; how alike their
answers are (0: nothing in common, 1: the same words in the same order); latency.

Options:
  --since <duration>   the window up to now: 30m, 12h, 7d, 2w (default 7d)
  --from <iso>         the window's start instead (with --to: a past window)
  --to <iso>           the window's end (default: now)
  --agent <id>         only this agent's calls
  --model <model>      only pairs where this model (id or provider/model) is either side
`,
    options: {
      since: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      agent: { type: 'string' },
      model: { type: 'string' },
    },
    positionals: [],
    prepare(values) {
      const query = new URLSearchParams();
      const since = values.since;
      if (typeof since === 'string' && values.from !== undefined)
        throw new UsageError('llm shadow report: give --since or --from, not both');
      const to = typeof values.to === 'string' ? isoTime(values.to, '--to') : undefined;
      if (typeof since === 'string') {
        const match = DURATION.exec(since);
        if (!match)
          throw new UsageError('llm shadow report: --since must be a duration like 30m, 12h, 7d, 2w');
        const end = to ? Date.parse(to) : Date.now();
        query.set(
          'from',
          new Date(end - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString(),
        );
      }
      if (typeof values.from === 'string') query.set('from', isoTime(values.from, '--from'));
      if (to) query.set('to', to);
      if (typeof values.agent === 'string') query.set('agent', values.agent);
      if (typeof values.model === 'string') query.set('model', values.model);
      const path = `/v1/llm/shadow/report${query.size > 0 ? `?${query}` : ''}`;
      return async (api, io, json) => {
        const report = await api.request('GET', path);
        if (json) {
          printJson(io, report);
          return EXIT.ok;
        }
        io.out(reportText(io, report));
        return EXIT.ok;
      };
    },
  };
}

function isoTime(value: string, flag: string): string {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new UsageError(`llm shadow report: ${flag} must be a date and time (ISO 8601)`);
  return new Date(at).toISOString();
}

/** The report as people read it: one block per model and its shadow. */
function reportText(io: CliIo, report: unknown): string {
  const r = report as Json;
  const pairs = arrayField(report, 'pairs');
  const head = `Shadow calls from ${text(r.from)} to ${text(r.to)}${r.truncated === true ? ' (the newest 200,000 runs)' : ''}\n`;
  if (pairs.length === 0) return `${head}\nNo shadow calls in this window.\n`;
  return `${head}${pairs.map((pair) => pairText(io, pair)).join('')}`;
}

function pairText(io: CliIo, pair: Json): string {
  const tokens = objectField(pair, 'tokens');
  const cost = objectField(pair, 'costUsd');
  const tools = objectField(pair, 'toolCalls');
  const similarity = objectField(pair, 'similarity');
  const latency = objectField(pair, 'latencyMs');
  const ttft = objectField(pair, 'firstTokenMs');
  const side = (of: Json, key: string) => objectField(of, key);
  const skipped = Object.entries(objectField(pair, 'skipped'))
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  const lines = [
    `\n${text(pair.primary)}  vs shadow  ${text(pair.shadow)}`,
    `  calls: ${pair.runs} shadowed, ${pair.compared} compared, ${pair.shadowFailed} shadow failed, ${pair.primaryFailed} agent's call failed${skipped ? `, skipped: ${skipped}` : ''}`,
    '',
    table(
      io,
      ['', 'AGENT MODEL', 'SHADOW', 'CHANGE'],
      [
        [
          'output tokens',
          String(side(tokens, 'primary').output),
          String(side(tokens, 'shadow').output),
          percent(tokens.outputChangePercent),
        ],
        ['cost (usd)', usd(cost.primary), usd(cost.shadow), percent(cost.changePercent)],
        ['latency p50 / p95 (ms)', spread(side(latency, 'primary')), spread(side(latency, 'shadow')), ''],
        ['first token p50 / p95 (ms)', spread(side(ttft, 'primary')), spread(side(ttft, 'shadow')), ''],
      ],
    ).trimEnd(),
    '',
    `  tool calls: ${tools.differ} of ${pair.compared} compared calls chose other tools${tools.differRate === null ? '' : ` (${percentOf(tools.differRate)})`}; ${tools.withTools} called a tool`,
    ...arrayField(pair.toolCalls, 'examples').map(
      (e) => `    ${text(e.decisionId)}: agent model ${list(e.primary)}, shadow ${list(e.shadow)}`,
    ),
    `  answers alike: mean ${num(similarity.mean)}, p10 ${num(similarity.p10)}, p50 ${num(similarity.p50)}; ${similarity.below50} less than half alike`,
    `  the shadow calls cost ${usd(cost.shadowSpent)} (failed ones included)`,
  ];
  return `${lines.join('\n')}\n`;
}

const usd = (value: unknown) => (typeof value === 'number' ? `$${value.toFixed(6)}` : '-');
const num = (value: unknown) => (typeof value === 'number' ? value.toFixed(2) : '-');
const percent = (value: unknown) =>
  typeof value === 'number' ? `${value > 0 ? '+' : ''}${value.toFixed(1)} %` : '-';
const percentOf = (rate: unknown) => `${(Number(rate) * 100).toFixed(1)} %`;
const spread = (s: Json) => `${s.p50 ?? '-'} / ${s.p95 ?? '-'}`;
const list = (names: unknown) => (Array.isArray(names) && names.length > 0 ? names.join(', ') : '(no tool)');

/** `warden llm <providers … | shadow report> …`. */
export async function llm(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    io.out(LLM_HELP);
    return group === undefined ? EXIT.usage : EXIT.ok;
  }
  const around: Surroundings = { env, cwd: io.cwd };
  if (group === 'providers') {
    const commands = {
      list: providersList(),
      add: providersAdd(around),
      update: providersUpdate(around),
      remove: providersRemove(),
    };
    const target = createClient;
    return runCheckedGroup(
      io,
      { name: 'llm providers', help: PROVIDERS_HELP, commands, target },
      rest,
      env,
      CONNECTION_HELP,
    );
  }
  if (group === 'shadow') {
    const commands = { report: shadowReport() };
    return runCheckedGroup(
      io,
      { name: 'llm shadow', help: SHADOW_HELP, commands, target: createClient },
      rest,
      env,
      CONNECTION_HELP,
    );
  }
  throw new UsageError(`unknown command "llm ${group}"\n\n${LLM_HELP}`);
}
