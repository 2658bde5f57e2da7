import { isRecord } from '../http-client.js';
import { type Json, text } from './agents-format.js';

/** How far a time is from now, the way a person scans a queue: "in 12m", "3m ago", "in 1h 5m". */
export function relative(iso: unknown, now: number): string {
  const at = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) return '-';
  const seconds = Math.round((at - now) / 1000);
  if (seconds === 0) return 'now';
  const span = duration(Math.abs(seconds));
  return seconds > 0 ? `in ${span}` : `${span} ago`;
}

/** A whole number of seconds in the largest units, at most two of them: 45s, 12m, 1h 5m, 2d 3h. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  const parts = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit} ${small}${smallUnit}`;
  if (seconds < 2 * 86_400)
    return parts(Math.floor(seconds / 3600), 'h', Math.floor((seconds % 3600) / 60), 'm');
  return parts(Math.floor(seconds / 86_400), 'd', Math.floor((seconds % 86_400) / 3600), 'h');
}

export function record(value: unknown): Json {
  return isRecord(value) ? value : {};
}

export function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The agent's name as the request's context recorded it, else its id. */
export function agentName(approval: Json): string {
  const agent = record(record(approval.context).agent);
  return text(agent.name, text(approval.agentId));
}

/**
 * The tool of an action, the tools an access request asks for, the tiers of a promotion, nothing
 * for a registration.
 */
export function toolOf(approval: Json): string {
  if (approval.kind === 'access') return text(record(record(approval.context).access).tools);
  if (approval.kind === 'promotion') {
    const trust = record(record(approval.context).trust);
    return `tier ${text(trust.from)} -> ${text(trust.to)}`;
  }
  return text(approval.tool);
}

/** The step a request is at, with its count of approvals: "finance 0/1". */
export function stepOf(approval: Json): string {
  const name = approval.currentStep;
  if (typeof name !== 'string') return '-';
  const step = records(approval.steps).find((s) => s.name === name);
  return step ? `${name} ${text(step.approvals, '0')}/${text(step.required)}` : name;
}

/**
 * The line after a vote: what the vote did to its step and to the request, e.g.
 * `apr_… approved (step security done; request approved)`. The vote is the newest one.
 */
export function voteOutcome(approval: Json, verdict: 'approve' | 'deny'): string {
  const steps = records(approval.steps);
  // Votes come oldest first; two in the same millisecond are ordered by step, as they must have been.
  const order = (vote: Json) => [Date.parse(text(vote.at)), steps.findIndex((s) => s.name === vote.step)];
  const mine = records(approval.votes)
    .sort((a, b) => {
      const [atA = 0, stepA = 0] = order(a);
      const [atB = 0, stepB = 0] = order(b);
      return atA - atB || stepA - stepB;
    })
    .at(-1);
  const step = steps.find((s) => s.name === mine?.step) ?? steps.find((s) => s.name === approval.currentStep);
  const name = text(step?.name ?? mine?.step);
  const did = verdict === 'approve' ? 'approved' : 'denied';
  const parts: string[] = [];
  const status = text(approval.status);
  if (verdict === 'deny') parts.push(`step ${name}`);
  else if (step?.state === 'current')
    parts.push(`step ${name}: ${text(step.approvals, '0')}/${text(step.required)} approvals`);
  else parts.push(`step ${name} done`);
  if (status === 'pending') {
    if (approval.currentStep !== step?.name) parts.push(`now at step ${text(approval.currentStep)}`);
    else parts.push('request still pending');
  } else {
    const by = approval.decidedBy === 'system' ? ' by the system' : '';
    const why = approval.decidedBy === 'system' && approval.comment ? `: ${text(approval.comment)}` : '';
    parts.push(`request ${status}${by}${why}`);
  }
  return `${text(approval.id)} ${did} (${parts.join('; ')})`;
}
