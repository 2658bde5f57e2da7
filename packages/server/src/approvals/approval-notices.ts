import type { JsonValue } from '@warden/policy';
import type { Notification } from '../notify/notifier.js';
import type { ApprovalRequest } from './approval.js';
import type { Directory } from './directory.js';
import { currentStage } from './stage-routing.js';

/** Where a human opens a request. It carries no credential: the human signs in there. */
export function approvalLink(publicUrl: string, request: ApprovalRequest): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/approvals/${request.id}`;
}

/** One line a human can act on: who asks for what, and why. */
export function describeRequest(request: ApprovalRequest): string {
  const context = request.context as { [key: string]: JsonValue };
  const agent = (context.agent as { name?: string } | undefined)?.name ?? request.agentId;
  if (request.kind === 'access') {
    const access = context.access as { tools?: string[]; justification?: string } | undefined;
    return `Agent ${agent} asks for access to ${(access?.tools ?? []).join(', ')}: ${access?.justification ?? ''}`;
  }
  if (request.kind === 'registration') {
    const risk = (context.agent as { risk?: string } | undefined)?.risk ?? '';
    return `Agent ${agent} (${risk} data) awaits approval of its registration`;
  }
  if (request.kind === 'promotion') {
    const trust = context.trust as { from?: string; to?: string } | undefined;
    return `Agent ${agent} earned promotion from ${trust?.from ?? '?'} to ${trust?.to ?? '?'}: the evidence meets the criteria`;
  }
  const rule = context.rule as { reason?: string } | undefined;
  const what =
    request.mode === 'sample'
      ? 'Sampled for review'
      : request.mode === 'post'
        ? 'Review (after the fact)'
        : 'Approval needed';
  return `${what}: agent ${agent} calls ${request.tool ?? 'a tool'}${rule?.reason ? ` (${rule.reason})` : ''}`;
}

export function noticesFor(
  type: string,
  request: ApprovalRequest,
  recipients: readonly string[],
  directory: Directory,
  summary: string,
  publicUrl: string,
  at: number,
): Notification[] {
  const stage = currentStage(request);
  const data: { [key: string]: JsonValue } = {
    kind: request.kind,
    mode: request.mode,
    status: request.status,
    agentId: request.agentId,
    tool: request.tool,
    step: stage.name,
    deadline: new Date(request.deadlineAt).toISOString(),
    context: request.context,
  };
  return recipients.map((humanId) => {
    const human = directory.humans.get(humanId);
    return {
      type,
      tenantId: request.tenantId,
      recipient: { humanId, ...(human ? { email: human.email } : {}) },
      subject: { type: 'approval', id: request.id },
      summary,
      data,
      at,
      link: approvalLink(publicUrl, request),
      collapseKey: `${type}:${request.id}:${request.version}`,
    };
  });
}
