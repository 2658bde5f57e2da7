import { type CliIo, paint } from '../io.js';
import { type Json, table, text } from './agents-format.js';
import { duration, record, records, relative } from './approvals-format.js';

/** Display names of the tenant's humans by id, and the caller's own id, when the server told us. */
export interface People {
  readonly names: ReadonlyMap<string, string>;
  readonly me: string | undefined;
}

type Line = readonly [string, string];

const MODES: Record<string, string> = {
  pre: 'pre: the call waits for this decision',
  post: 'post: the call already ran; a rejection records an incident and asks the agent to roll back',
  sample: 'sample: an allowed call picked for review after the fact; a rejection records an incident',
};

const EXCLUDED: Record<string, string> = {
  policy_owner: 'wrote a policy whose rule asked for this review',
  on_behalf_of: 'the call is made on their behalf',
  requester: 'asked for it',
};

/** `show` as text: what is asked, who asked, the steps and votes, the deadline, the outcome. */
export function showApproval(io: CliIo, approval: Json, people: People, now: number): string {
  const context = record(approval.context);
  const who = (id: unknown) => person(people, id);
  const when = (iso: unknown) => (typeof iso === 'string' ? `${iso} (${relative(iso, now)})` : '-');
  const title = `${text(approval.id)}: ${text(approval.kind)} request, ${text(approval.status)}`;
  const sections = [
    `${paint(io, 'bold', title)}\n`,
    section(io, 'What', [...agentLines(context, who), ...subjectLines(approval, context)]),
    section(io, 'Who', whoLines(approval, context, who, when)),
    section(io, 'Steps', [], stepsTable(io, approval, people)),
    section(io, 'Deciders', decidersLines(approval, people, who)),
    ...(records(approval.votes).length > 0
      ? [section(io, 'Votes', [], votesLines(approval, who, when))]
      : []),
    section(io, 'Deadline', [
      ['deadline', approval.status === 'pending' ? when(approval.deadline) : text(approval.deadline)],
      ['on timeout', timeoutText(approval)],
    ]),
    section(io, 'Outcome', outcomeLines(approval, who, when)),
  ];
  return sections.join('\n');
}

function person(people: People, id: unknown): string {
  if (id === 'system') return 'the system';
  if (typeof id !== 'string') return '-';
  const name = people.names.get(id) ?? id;
  return id === people.me ? `${name} (you)` : name;
}

function section(io: CliIo, title: string, lines: readonly Line[], body = ''): string {
  return `${paint(io, 'bold', title)}\n${fields(lines)}${body}`;
}

/** `key: value` lines, aligned; a value of several lines keeps its lines under the first. */
function fields(lines: readonly Line[]): string {
  if (lines.length === 0) return '';
  const width = Math.max(...lines.map(([key]) => key.length)) + 4;
  const indent = ' '.repeat(width);
  return lines
    .map(([key, value]) => `  ${`${key}:`.padEnd(width - 2)}${value.split('\n').join(`\n${indent}`)}\n`)
    .join('');
}

function agentLines(context: Json, who: (id: unknown) => string): Line[] {
  const agent = record(context.agent);
  const owner = record(agent.owner);
  const ownerName =
    typeof owner.name === 'string'
      ? `${owner.name}${owner.email ? ` <${text(owner.email)}>` : ''}`
      : who(owner.id);
  return [
    ['agent', `${text(agent.name)} (${text(agent.id)}), ${text(agent.status)}`],
    ['owner', ownerName],
    ['purpose', text(agent.purpose)],
    [
      'trust',
      `tier ${text(agent.tier)}, risk ${text(agent.risk)}${agent.riskLevel ? ` (${text(agent.riskLevel)} risk)` : ''}`,
    ],
    ['environments', text(agent.environments)],
    ['roles', text(agent.roles, 'none')],
  ];
}

/** The object of the request: a tool call, an access request, or the agent's registration. */
function subjectLines(approval: Json, context: Json): Line[] {
  if (approval.kind === 'access') {
    const access = record(context.access);
    const seconds = typeof access.durationSeconds === 'number' ? access.durationSeconds : undefined;
    return [
      ['tools', text(access.tools)],
      ['for', seconds === undefined ? '-' : `${duration(seconds)} (${seconds}s) once granted`],
      ['justification', text(access.justification)],
      ...(context.ownerConsent ? ([['owner consent', text(context.ownerConsent)]] as const) : []),
    ];
  }
  if (approval.kind === 'registration')
    return [['asks', 'to register the agent above; approval makes it active']];
  if (approval.kind === 'promotion') {
    const trust = record(context.trust);
    const criteria = Array.isArray(trust.criteria) ? trust.criteria.map(record) : [];
    return [
      ['asks', `to promote the agent from ${text(trust.from)} to ${text(trust.to)}; approval promotes it`],
      ...criteria.map(
        (c): Line => [text(c.name), `${c.met ? 'met' : 'not met'}: ${text(c.actual)} (${text(c.required)})`],
      ),
    ];
  }
  const action = record(context.action);
  const rule = record(context.rule);
  const spend = record(context.spend);
  return [
    ['mode', MODES[text(approval.mode)] ?? text(approval.mode)],
    ['tool', text(action.tool ?? approval.tool)],
    ['arguments', JSON.stringify(action.args ?? {}, null, 2)],
    ['rule', `${text(rule.id)}: ${text(rule.reason)}`],
    ['policy version', text(rule.policyVersion)],
    ['reasoning', text(context.reasoning, 'none given')],
    ['recommendation', text(context.recommendation, 'none given')],
    [
      'spend',
      context.spend
        ? `${usd(spend.todayUsd)} today, ${usd(spend.monthUsd)} this month, ${text(spend.callsToday)} calls today`
        : 'unknown',
    ],
  ];
}

function usd(value: unknown): string {
  return typeof value === 'number' ? `$${value.toFixed(2)}` : '-';
}

function whoLines(
  approval: Json,
  context: Json,
  who: (id: unknown) => string,
  when: (iso: unknown) => string,
): Line[] {
  const requester = record(approval.requester);
  const agent = record(context.agent);
  const by =
    requester.type === 'agent'
      ? `agent ${requester.id === agent.id ? `${text(agent.name)} (${text(requester.id)})` : text(requester.id)}`
      : who(requester.id);
  const task = record(context.task);
  const lines: Line[] = [
    ['requested by', by],
    ['requested at', when(approval.createdAt)],
  ];
  if (approval.kind !== 'action') return lines;
  // The names the task gave, and whom the server resolved them to (a resolved human is excluded).
  const named = (given: unknown, id: unknown) => {
    if (typeof id !== 'string') return text(given);
    const name = who(id);
    return typeof given === 'string' && !name.includes(given) ? `${name} (given as ${given})` : name;
  };
  return [
    ...lines,
    ['task', text(approval.taskId ?? task.id)],
    ['initiator', named(task.initiator, approval.initiatorId)],
    ['on behalf of', named(task.onBehalfOf, approval.onBehalfOfId)],
    ['via', `${text(task.interface)} in ${text(task.environment)}`],
    ['decision', text(approval.decisionId)],
  ];
}

function stepsTable(io: CliIo, approval: Json, people: People): string {
  // `user:<id>` approvers read better by name; groups and `initiator` are names already.
  const approver = (entry: unknown) => {
    const value = text(entry);
    const name = value.startsWith('user:') ? people.names.get(value.slice('user:'.length)) : undefined;
    return name === undefined ? value : `user:${name}`;
  };
  const rows = records(approval.steps).map((step, i) => [
    `${i + 1}. ${text(step.name)}`,
    Array.isArray(step.approvers) && step.approvers.length > 0
      ? step.approvers.map(approver).join(', ')
      : 'default reviewers',
    `${text(step.approvals, '0')}/${text(step.required)}`,
    text(step.state),
  ]);
  const lines = table(io, ['STEP', 'APPROVERS', 'APPROVALS', 'STATE'], rows);
  return lines
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}

function decidersLines(approval: Json, people: People, who: (id: unknown) => string): Line[] {
  const onCall = new Set(Array.isArray(approval.onCall) ? approval.onCall : []);
  const eligible = (Array.isArray(approval.eligible) ? approval.eligible : []).map(
    (id: unknown) => `${who(id)}${onCall.has(id) ? ' [on call]' : ''}`,
  );
  const now =
    approval.status !== 'pending'
      ? 'nobody: the request is settled'
      : eligible.length === 0
        ? 'nobody at the moment'
        : eligible.join('\n');
  const excluded = records(approval.excluded).map(
    (e) => `${who(e.humanId)}: ${EXCLUDED[text(e.why)] ?? text(e.why)}`,
  );
  const mine =
    people.me !== undefined && Array.isArray(approval.eligible) && approval.eligible.includes(people.me);
  return [
    ['can decide now', now],
    ['may not decide', excluded.length === 0 ? 'nobody excluded' : excluded.join('\n')],
    ...(mine
      ? ([['you', `may decide now: warden approvals approve|deny ${text(approval.id)}`]] as const)
      : []),
  ];
}

function votesLines(approval: Json, who: (id: unknown) => string, when: (iso: unknown) => string): string {
  return records(approval.votes)
    .map((vote) => {
      const comment = vote.comment ? `: "${text(vote.comment)}"` : '';
      return `  ${text(vote.verdict)} by ${who(vote.humanId)} at step ${text(vote.step)}, ${when(vote.at)}${comment}\n`;
    })
    .join('');
}

function timeoutText(approval: Json): string {
  if (approval.status !== 'pending') return 'nothing: the request is settled';
  if (approval.onTimeout === 'escalate') {
    const times = typeof approval.escalation === 'number' ? approval.escalation : 0;
    return `escalate to the next escalation approver (escalated ${times} time${times === 1 ? '' : 's'} so far); expire when none is left`;
  }
  return 'expire: the request counts as denied';
}

function outcomeLines(approval: Json, who: (id: unknown) => string, when: (iso: unknown) => string): Line[] {
  const status = text(approval.status);
  if (status === 'pending') {
    const step = records(approval.steps).find((s) => s.name === approval.currentStep);
    const missing = Number(step?.required ?? 1) - Number(step?.approvals ?? 0);
    return [
      [
        'status',
        `pending: step ${text(approval.currentStep)} needs ${missing} more approval${missing === 1 ? '' : 's'}`,
      ],
    ];
  }
  const lines: Line[] = [
    ['status', `${status} by ${who(approval.decidedBy)}`],
    ['decided at', when(approval.decidedAt)],
    ['comment', text(approval.comment, 'none')],
  ];
  if (approval.grantExpiresAt) lines.push(['may run until', when(approval.grantExpiresAt)]);
  if (approval.consumedAt)
    lines.push(['used', `${when(approval.consumedAt)} by decision ${text(approval.consumedBy)}`]);
  else if (approval.grantExpiresAt) lines.push(['used', 'not yet (single use)']);
  return lines;
}
