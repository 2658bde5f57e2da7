import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { auditEventsOf, request } from '../helpers/api.js';

/**
 * The kill-switch tests' policy: a call that is simply allowed (the one the tests watch turn into a
 * deny), a pre-mode review (a request the kill cancels) and an after-the-fact review (one it keeps).
 */
export const KILL_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: kill-switch
  owner: policy-author@example.test
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: search-ok
      effect: allow
      tools: [kb.search]
      reason: Searching is fine
    - id: refund-review
      effect: review
      tools: [payments.refund]
      reason: Refunds need a lead
      approval:
        approvers: ["group:leads"]
        timeout: 1h
    - id: close-then-review
      effect: review
      tools: [tickets.close]
      reason: Closed tickets are reviewed afterwards
      approval:
        mode: post
        approvers: ["group:leads"]
        timeout: 1h
`;

export async function writeKillPolicy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-kill-policy-'));
  await writeFile(join(dir, 'kill.yaml'), KILL_POLICY);
  return dir;
}

export interface Answer {
  readonly effect: string;
  readonly code: string;
  readonly reason: string;
  readonly approvalRequest: { readonly id: string; readonly status: string } | null;
}

/** POST /v1/decide for the allowed tool. */
export async function search(node: WardenNode, key: string): Promise<Answer> {
  const res = await request(node, 'POST', '/v1/decide', key, { tool: 'kb.search', args: { q: 'x' } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Answer>();
}

let refunds = 0;

/** A refund the policy sends to a pre-mode review; answers the request's id. */
export async function openRefund(node: WardenNode, key: string): Promise<string> {
  const res = await request(node, 'POST', '/v1/decide', key, {
    tool: 'payments.refund',
    args: { amount: 700, order: `o-${++refunds}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  const answer = res.json<Answer>();
  expect(answer.effect).toBe('review');
  return answer.approvalRequest?.id ?? '';
}

/** A ticket close: allowed at once, reviewed afterwards (post mode); answers the review's id. */
export async function openPostReview(node: WardenNode, key: string): Promise<string> {
  const res = await request(node, 'POST', '/v1/decide', key, { tool: 'tickets.close', args: { id: 't-1' } });
  expect(res.statusCode, res.body).toBe(200);
  const answer = res.json<Answer>();
  expect(answer.approvalRequest?.id, answer.reason).toBeTruthy();
  return answer.approvalRequest?.id ?? '';
}

export async function statusOf(node: WardenNode, approvalId: string): Promise<string> {
  const row = await node.storage.db
    .selectFrom('approval_requests')
    .select('status')
    .where('id', '=', approvalId)
    .executeTakeFirstOrThrow();
  return row.status;
}

export async function agentStatus(node: WardenNode, agentId: string): Promise<string> {
  const row = await node.storage.db
    .selectFrom('agents')
    .select('status')
    .where('id', '=', agentId)
    .executeTakeFirstOrThrow();
  return row.status;
}

/** The audit events of `type` about these subjects. */
export async function eventsOf(node: WardenNode, subjects: string | readonly string[], type: string) {
  return (await auditEventsOf(node, subjects)).filter((e) => e.type === type);
}

export async function countEvents(node: WardenNode, type: string): Promise<number> {
  const row = await node.storage.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('type', '=', type)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
