import type { AuditEvent } from '../../api/types';
import { argsSummary } from '../../lib/format';

/**
 * Audit events written for people. One event becomes a sentence ("Lena Fischer approved
 * payments.refund for support-assistant"); the events of one governed call found on the same page —
 * the decision, its approval request and votes, the call made with the approval, its outcome — are
 * folded into one story: "support-assistant asked to refund $700 → review by support-leads →
 * approved by Lena Fischer → succeeded".
 */

export interface Names {
  agent(id: string): string;
  human(id: string): string;
}

type Payload = Record<string, unknown>;

function payloadOf(event: AuditEvent): Payload {
  return event.payload ?? {};
}

function actorName(event: AuditEvent, names: Names): string {
  const { type, id } = event.actor;
  if (type === 'agent') return names.agent(id);
  if (type === 'human') return names.human(id);
  return `${type} ${id}`;
}

/** "refund $700" for payments.refund {amount: 700}; "read (id c1)" otherwise. */
export function actionPhrase(tool: string | null, args: unknown): string {
  const name = tool ?? 'something';
  const verb = name.split('.').at(-1) ?? name;
  if (args && typeof args === 'object' && !Array.isArray(args)) {
    const { amount, currency } = args as { amount?: unknown; currency?: unknown };
    if (typeof amount === 'number') {
      const money =
        currency && currency !== 'USD'
          ? `${amount} ${String(currency)}`
          : `$${amount.toLocaleString('en-US')}`;
      return `${verb} ${money} (${name})`;
    }
    const summary = argsSummary(args, 60);
    return summary ? `${name} (${summary})` : name;
  }
  return name;
}

function approverNames(requirement: unknown): string {
  const steps = (
    requirement as { steps?: Array<{ approvers?: Array<{ kind: string; name?: string; id?: string }> }> }
  )?.steps;
  if (!Array.isArray(steps)) return 'a human';
  const names = steps.flatMap((step) => (step.approvers ?? []).map((a) => a.name ?? a.id ?? a.kind));
  return names.length ? names.join(', ') : 'a human';
}

function decisionSegment(event: AuditEvent): string {
  const payload = payloadOf(event);
  if (event.effect === 'review') return `review by ${approverNames(payload.approval)}`;
  if (event.effect === 'deny') return `denied${payload.code ? ` (${String(payload.code)})` : ''}`;
  return payload.code === 'approved' ? 'allowed with the approval' : 'allowed';
}

/** One event as one sentence. */
export function describeEvent(event: AuditEvent, names: Names): string {
  const payload = payloadOf(event);
  const who = actorName(event, names);
  const comment = typeof payload.comment === 'string' && payload.comment ? `: “${payload.comment}”` : '';
  const forAgent = typeof payload.agentId === 'string' ? ` for ${names.agent(payload.agentId)}` : '';
  switch (event.type) {
    case 'decision.allow':
    case 'decision.review':
    case 'decision.deny':
      return `${who} asked to ${actionPhrase(event.tool, payload.args)} → ${decisionSegment(event)}`;
    case 'decision.outcome':
      return `${who}'s ${event.tool ?? 'call'} ${event.outcome ?? 'ended'}${typeof payload.costUsd === 'number' ? `, cost $${payload.costUsd}` : ''}`;
    case 'approval.request':
      return `${who} asked for approval of ${event.tool ?? String(payload.kind ?? 'a request')}`;
    case 'approval.approve':
      return `${who} approved ${event.tool ?? 'the request'}${forAgent}${comment}`;
    case 'approval.deny':
      return `${who} denied ${event.tool ?? 'the request'}${forAgent}${comment}`;
    case 'approval.grant':
      return `approval of ${event.tool ?? 'the request'}${forAgent} granted`;
    case 'approval.use':
      return `${who} used the approval of ${event.tool ?? 'the request'}`;
    default:
      return `${who}: ${event.type.replace('.', ' ')} ${event.subject.type} ${
        event.subject.type === 'agent'
          ? names.agent(event.subject.id)
          : event.subject.type === 'human'
            ? names.human(event.subject.id)
            : event.subject.id
      }`;
  }
}

export interface Story {
  readonly key: string;
  readonly events: AuditEvent[];
  readonly text: string;
}

function approvalIdOf(event: AuditEvent): string | undefined {
  if (event.subject.type === 'approval') return event.subject.id;
  const request = payloadOf(event).approvalRequest as { id?: string } | undefined;
  return request?.id;
}

/** Groups the page's events into stories (in the page's order, each story where its first event is). */
export function buildStories(events: readonly AuditEvent[], names: Names): Story[] {
  const keyOfDecision = new Map<string, string>();
  const groups = new Map<string, AuditEvent[]>();
  const chronological = [...events].sort((a, b) => a.seq - b.seq);
  for (const event of chronological) {
    const approvalId = approvalIdOf(event);
    let key: string;
    if (approvalId) key = `apr:${approvalId}`;
    else if (event.type === 'decision.outcome')
      key = keyOfDecision.get(event.subject.id) ?? `evt:${event.id}`;
    else key = `evt:${event.id}`;
    if (event.subject.type === 'decision') keyOfDecision.set(event.subject.id, key);
    if (event.type === 'approval.use' && typeof payloadOf(event).decisionId === 'string')
      keyOfDecision.set(payloadOf(event).decisionId as string, key);
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  const stories = [...groups.entries()].map(([key, group]) => ({
    key,
    events: group,
    text: storyText(group, names),
  }));
  const position = new Map(events.map((event, index) => [event.id, index]));
  const first = (story: Story) => Math.min(...story.events.map((e) => position.get(e.id) ?? 0));
  return stories.sort((a, b) => first(a) - first(b));
}

function storyText(group: readonly AuditEvent[], names: Names): string {
  if (group.length === 1) return describeEvent(group[0] as AuditEvent, names);
  const segments: string[] = [];
  for (const event of group) {
    const payload = payloadOf(event);
    if (event.type.startsWith('decision.') && event.type !== 'decision.outcome') {
      if (segments.length === 0)
        segments.push(`${actorName(event, names)} asked to ${actionPhrase(event.tool, payload.args)}`);
      if (payload.code !== 'approved') segments.push(decisionSegment(event));
    } else if (event.type === 'approval.approve' || event.type === 'approval.deny') {
      const verdict = event.type === 'approval.approve' ? 'approved' : 'denied';
      segments.push(`${verdict} by ${actorName(event, names)}`);
    } else if (event.type === 'approval.request' && segments.length === 0) {
      segments.push(describeEvent(event, names));
    } else if (event.type === 'approval.expire' || event.type === 'approval.cancel') {
      segments.push(event.type === 'approval.expire' ? 'expired' : 'cancelled');
    } else if (event.type === 'decision.outcome') {
      segments.push(event.outcome ?? 'ended');
    }
  }
  return segments.length ? segments.join(' → ') : describeEvent(group[0] as AuditEvent, names);
}
