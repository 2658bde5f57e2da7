import { type ApiClient, createClient, DEFAULT_URL, TOKEN_FILE } from '../http-client.js';
import { type CliIo, EXIT, paint, UsageError } from '../io.js';
import { checkEnum, checkId, checkText, stringOf, stringsOf } from './agents-args.js';
import { arrayField, type Json, objectField, printJson, table, text } from './agents-format.js';
import { type CheckedCommand, runCheckedGroup } from './subcommand.js';

const CONNECTION_HELP = `
Connection (every recert command):
  --url <url>       the Warden server (default: WARDEN_URL, else ${DEFAULT_URL})
  --token <token>   a human API token (default: WARDEN_TOKEN, else the file ${TOKEN_FILE})
  --json            print the server's JSON answer instead of text
`;

export const RECERT_HELP = `Usage: warden recert <command> [options]

Recertification campaigns: every agent of a scope is certified by its owner (keep, reduce or
retire) before a deadline; unanswered agents go to security, then are suspended or flagged.

Commands:
  start --name <text> --deadline <when> [--risk <class>] [--owner <usr_id>] [--drift-days <n>]
                          start a campaign (admin, security)
  status [<rcp_id>]       the campaigns and their progress, or one campaign's agents
  certify <rcp_id> <agt_id> --decision keep|reduce|retire [--remove-rule <id>]…
                          [--remove-grant <grt_id>]… [--comment <text>]
                          answer for one agent (its owner, admin, security)
${CONNECTION_HELP}
Run "warden recert <command> --help" for a command's options.
`;

const RISKS = ['public', 'internal', 'pii', 'financial', 'phi'] as const;
const DECISIONS = ['keep', 'reduce', 'retire'] as const;
const DURATION = /^(\d+)([hdw])$/;
const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const CAMPAIGN_ID = /^rcp_[0-9a-hjkmnp-tv-z]{26}$/;

type RecertCommand = CheckedCommand<ApiClient>;

function campaignId(value: string | undefined): string {
  if (value === undefined) throw new UsageError('recert: missing the campaign id (rcp_…)');
  if (!CAMPAIGN_ID.test(value))
    throw new UsageError(`campaign id: expected rcp_ followed by 26 characters, got "${value}"`);
  return value;
}

/** An ISO time, or a duration from now (14d, 2w, 36h). */
function deadlineOf(value: string): string {
  const match = DURATION.exec(value);
  if (match)
    return new Date(Date.now() + Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString();
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new UsageError(
      `recert start: --deadline must be a date and time (ISO 8601) or a duration like 14d, got "${value}"`,
    );
  return new Date(at).toISOString();
}

const start: RecertCommand = {
  help: `Usage: warden recert start --name <text> --deadline <when> [options]

Starts a recertification campaign (POST /v1/recert/campaigns; admin, security) over every agent not
retired, or those of a risk class, of an owner, or both. Each owner is told to certify their agents
before the deadline. A scope that matches no agent is refused.

Options:
  --name <text>        what the campaign is called (e.g. "Q3 2026 review")
  --deadline <when>    an ISO date and time, or a duration from now: 14d, 2w, 36h
  --risk <class>       only agents of this risk class (${RISKS.join(', ')})
  --owner <usr_id>     only agents of this owner
  --drift-days <n>     the drift window the owners see (default 30)
`,
  options: {
    name: { type: 'string' },
    deadline: { type: 'string' },
    risk: { type: 'string' },
    owner: { type: 'string' },
    'drift-days': { type: 'string' },
  },
  positionals: [],
  prepare(values) {
    const name = stringOf(values, 'name');
    const deadline = stringOf(values, 'deadline');
    if (name === undefined) throw new UsageError('recert start: --name is required');
    if (deadline === undefined) throw new UsageError('recert start: --deadline is required');
    const risk = stringOf(values, 'risk');
    const owner = stringOf(values, 'owner');
    const driftDays = stringOf(values, 'drift-days');
    if (driftDays !== undefined && !/^\d+$/.test(driftDays))
      throw new UsageError(`recert start: --drift-days must be a whole number of days, got "${driftDays}"`);
    const body = {
      name: checkText('--name', name),
      deadline: deadlineOf(deadline),
      scope: {
        ...(risk === undefined ? {} : { risk: checkEnum('--risk', RISKS, risk) }),
        ...(owner === undefined ? {} : { owner: checkId('--owner', 'usr', owner) }),
      },
      ...(driftDays === undefined ? {} : { driftDays: Number(driftDays) }),
    };
    return async (api, io, json) => {
      const answer = await api.request('POST', '/v1/recert/campaigns', body);
      if (json) {
        printJson(io, answer);
        return EXIT.ok;
      }
      const campaign = objectField(answer, 'campaign');
      const progress = objectField(answer, 'progress');
      io.out(
        `${paint(io, 'green', 'started')} campaign ${text(campaign.id)} "${text(campaign.name)}": ${progress.total} agent(s) to certify by ${text(campaign.deadline)}; unanswered agents are then escalated to security and ${campaign.onNoResponse === 'suspend' ? 'suspended' : 'flagged'} after ${text(campaign.graceSeconds)} s\n`,
      );
      return EXIT.ok;
    };
  },
};

const status: RecertCommand = {
  help: `Usage: warden recert status [<rcp_id>]

Without an id: the campaigns, newest first, with their progress (GET /v1/recert/campaigns). With
one: that campaign's progress and each agent's answer (GET /v1/recert/campaigns/<id>). An owner
sees the agents they own.
`,
  options: {},
  positionals: ['campaign id'],
  prepare(_values, positionals) {
    const id = positionals[0] === undefined ? undefined : campaignId(positionals[0]);
    return async (api, io, json) => {
      const answer = await api.request('GET', id ? `/v1/recert/campaigns/${id}` : '/v1/recert/campaigns');
      if (json) {
        printJson(io, answer);
        return EXIT.ok;
      }
      if (!id) {
        const rows = arrayField(answer, 'campaigns').map((entry) => {
          const campaign = objectField(entry, 'campaign');
          return [
            text(campaign.id),
            text(campaign.name),
            text(campaign.status),
            text(campaign.deadline),
            progressText(objectField(entry, 'progress')),
          ];
        });
        io.out(
          rows.length === 0
            ? 'No campaigns.\n'
            : table(io, ['ID', 'NAME', 'STATUS', 'DEADLINE', 'PROGRESS'], rows),
        );
        return EXIT.ok;
      }
      const campaign = objectField(answer, 'campaign');
      const items = arrayField(answer, 'items').map((item) => [
        text(item.agentId),
        text(item.status),
        text(item.certifiedBy),
        text(item.certifiedAt),
        unusedText(item),
      ]);
      io.out(
        `${text(campaign.name)} (${text(campaign.id)}): ${text(campaign.status)}, deadline ${text(campaign.deadline)}\n${progressText(objectField(answer, 'progress'))}\n\n${table(io, ['AGENT', 'STATUS', 'BY', 'AT', 'UNUSED AT START'], items)}`,
      );
      return EXIT.ok;
    };
  },
};

const certify: RecertCommand = {
  help: `Usage: warden recert certify <rcp_id> <agt_id> --decision keep|reduce|retire [options]

Answers for one agent of a campaign (its owner, admin, security); see its drift first with
"warden drift report --agent <agt_id>".
  keep     it keeps what it holds
  reduce   take away what --remove-rule and --remove-grant name: grants are revoked now, each rule
           becomes a change for its policy's owner (file, line, the edit), all audited
  retire   the agent is retired (its keys revoked)

Options:
  --decision <d>          keep, reduce or retire
  --remove-rule <id>      a rule to stop granting the agent (reduce; repeat for more)
  --remove-grant <grt_id> a temporary grant to revoke (reduce; repeat for more)
  --comment <text>        why (kept with the answer)
`,
  options: {
    decision: { type: 'string' },
    'remove-rule': { type: 'string', multiple: true },
    'remove-grant': { type: 'string', multiple: true },
    comment: { type: 'string' },
  },
  positionals: ['campaign id', 'agent id'],
  prepare(values, positionals) {
    const id = campaignId(positionals[0]);
    if (positionals[1] === undefined) throw new UsageError('recert certify: missing the agent id (agt_…)');
    const agent = checkId('agent id', 'agt', positionals[1]);
    const decisionFlag = stringOf(values, 'decision');
    if (decisionFlag === undefined)
      throw new UsageError('recert certify: --decision is required (keep, reduce or retire)');
    const decision = checkEnum('--decision', DECISIONS, decisionFlag);
    const rules = stringsOf(values, 'remove-rule');
    const grants = stringsOf(values, 'remove-grant');
    if (decision !== 'reduce' && rules.length + grants.length > 0)
      throw new UsageError('recert certify: --remove-rule and --remove-grant go with --decision reduce');
    if (decision === 'reduce' && rules.length + grants.length === 0)
      throw new UsageError('recert certify: --decision reduce needs --remove-rule or --remove-grant');
    const comment = stringOf(values, 'comment');
    const body = {
      decision,
      ...(comment === undefined ? {} : { comment: checkText('--comment', comment) }),
      ...(decision === 'reduce'
        ? { remove: { ...(rules.length ? { rules } : {}), ...(grants.length ? { grants } : {}) } }
        : {}),
    };
    return async (api, io, json) => {
      const answer = await api.request('POST', `/v1/recert/campaigns/${id}/agents/${agent}/certify`, body);
      if (json) {
        printJson(io, answer);
        return EXIT.ok;
      }
      const item = objectField(answer, 'item');
      const campaign = objectField(answer, 'campaign');
      const reduction = item.reduction as Json | null;
      const lines = [
        `${paint(io, 'green', text(item.status))} agent ${text(item.agentId)} in campaign ${text(campaign.name)}`,
      ];
      if (reduction) {
        for (const grant of (reduction.revokedGrants as unknown[]) ?? [])
          lines.push(`  revoked grant ${text(grant)}`);
        for (const rule of arrayField(reduction, 'rules'))
          lines.push(`  change for ${text(rule.policyOwner)}: ${text(rule.change)}`);
      }
      if (campaign.status === 'completed')
        lines.push(`campaign ${text(campaign.name)} is complete: every agent was answered`);
      io.out(`${lines.join('\n')}\n`);
      return EXIT.ok;
    };
  },
};

function progressText(progress: Json): string {
  const parts = ['pending', 'escalated', 'kept', 'reduced', 'retired', 'suspended', 'flagged']
    .filter((key) => Number(progress[key]) > 0)
    .map((key) => `${progress[key]} ${key}`);
  return `${progress.total} agent(s)${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function unusedText(item: Json): string {
  const drift = item.drift as Json | undefined;
  if (!drift) return '-';
  const rules = [...((drift.unusedRules as string[]) ?? []), ...((drift.partlyUsedRules as string[]) ?? [])];
  const grants = (drift.unusedGrants as string[]) ?? [];
  return rules.length + grants.length === 0 ? 'none' : `${rules.length} rule(s), ${grants.length} grant(s)`;
}

/** `warden recert start|status|certify …`. */
export function recert(
  io: CliIo,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  return runCheckedGroup(
    io,
    { name: 'recert', help: RECERT_HELP, commands: { start, status, certify }, target: createClient },
    argv,
    env,
    CONNECTION_HELP,
  );
}
