import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import type { Notification, Notifier } from '../../src/notify/notifier.js';
import type { HumanRole } from '../../src/tenants/roles.js';
import { auditEventsOf, request } from '../helpers/api.js';

/**
 * One policy for the approvals acceptance tests: every tool stands for one way of asking humans.
 * Groups are named after what they do; each test file creates the members it needs (nobody creates
 * vault-keepers before a request is open: that is the request nobody can decide yet).
 */
export function approvalsPolicy(options: { readonly restartTimeout?: string } = {}): string {
  return `apiVersion: warden/v1
kind: Policy
metadata:
  name: approvals-acceptance
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: refund-small
      effect: allow
      tools: [payments.refund]
      when: args.amount <= 500
      reason: Small refunds are fine
    - id: refund-review
      effect: review
      tools: [payments.refund]
      when: args.amount > 500
      reason: Refunds over $500 need a lead
      approval:
        approvers: ["group:support-leads"]
        timeout: 1h
    - id: export-two-of-three
      effect: review
      tools: [crm.records.export]
      reason: Bulk exports need two data stewards
      approval:
        approvers: ["group:stewards"]
        required: 2
        timeout: 1h
    - id: deploy-security-then-legal
      effect: review
      tools: [infra.deploy]
      reason: Production deploys need security, then legal
      approval:
        steps:
          - name: security
            approvers: ["group:sec-team"]
            required: 1
          - name: legal
            approvers: ["group:legal-team"]
            required: 2
        timeout: 1h
    - id: close-then-review
      effect: review
      tools: [tickets.close]
      reason: Closed tickets are reviewed afterwards
      approval:
        mode: post
        approvers: ["group:support-leads"]
        timeout: 1h
    - id: search-sampled
      effect: allow
      tools: [kb.articles.search]
      reason: Searching is fine; every call is spot-checked
      approval:
        mode: sample
        rate: 1
        approvers: ["group:support-leads"]
    - id: read-rarely-sampled
      effect: allow
      tools: [kb.articles.read]
      reason: Reading is fine; hardly ever spot-checked
      approval:
        mode: sample
        rate: 0.000001
        approvers: ["group:support-leads"]
    - id: restart-times-out
      effect: review
      tools: [ops.restart]
      reason: Restarts need someone from ops
      approval:
        approvers: ["group:ops"]
        timeout: ${options.restartTimeout ?? '10m'}
    - id: failover-escalates
      effect: review
      tools: [ops.failover]
      reason: Failovers escalate when nobody answers
      approval:
        approvers: ["group:ops"]
        timeout: 10m
        onTimeout: escalate
        escalateTo: ["group:ops-leads", "user:${BOSS_EMAIL}"]
    - id: unseal-needs-keepers
      effect: review
      tools: [vault.unseal]
      reason: Only key keepers unseal the vault
      approval:
        approvers: ["group:vault-keepers"]
        timeout: 10m
    - id: page-on-call
      effect: review
      tools: [pager.acknowledge]
      reason: The on-call person answers first
      approval:
        approvers: ["group:pager"]
        timeout: 1h
`;
}

/** The author of the acceptance policy: separation of duties keeps them from deciding its reviews. */
export const POLICY_AUTHOR = 'policy-author@example.test';
/** The last escalation target (`user:` by e-mail address). */
export const BOSS_EMAIL = 'boss@example.test';

/** A fresh directory holding the acceptance policy (or `yaml`), for WARDEN_POLICY_DIR. */
export async function writePolicyDir(yaml = approvalsPolicy()): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-approvals-policy-'));
  await writeFile(join(dir, 'approvals.yaml'), yaml);
  return dir;
}

/**
 * A clock the test moves: frozen (deadlines fire only when the test says so) or running with the
 * wall clock plus whatever the test has skipped ahead.
 */
export class TestClock {
  private offset = 0;
  private readonly frozenAt: number | null;

  constructor(mode: 'frozen' | 'running') {
    this.frozenAt = mode === 'frozen' ? Date.now() : null;
  }

  readonly now = (): number => (this.frozenAt ?? Date.now()) + this.offset;

  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Keeps every notification, for tests of who hears about a request and when. */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];

  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
  }

  /** Who got notifications of `type` about one request, in the order they were sent. */
  recipients(type: string, approvalId: string): string[] {
    return this.sent
      .filter((n) => n.type === type && n.subject.id === approvalId)
      .map((n) => n.recipient.humanId);
  }
}

export interface Person {
  readonly id: string;
  readonly token: string;
  readonly email: string;
}

let serial = 0;

/** A human added through the API (POST /v1/humans) with an API token of their own. */
export async function createHuman(
  node: WardenNode,
  adminToken: string,
  roles: HumanRole[],
  email = `approver-${++serial}-${Math.random().toString(36).slice(2, 8)}@example.test`,
): Promise<Person> {
  const created = await request(node, 'POST', '/v1/humans', adminToken, {
    email,
    name: email.split('@')[0] ?? email,
    roles,
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().human.id as string;
  const token = await request(node, 'POST', `/v1/humans/${id}/tokens`, adminToken, { name: 'tests' });
  expect(token.statusCode, token.body).toBe(201);
  return { id, token: token.json().secret as string, email };
}

export async function createHumans(
  node: WardenNode,
  adminToken: string,
  count: number,
  roles: HumanRole[] = ['approver'],
): Promise<Person[]> {
  const people: Person[] = [];
  for (let i = 0; i < count; i++) people.push(await createHuman(node, adminToken, roles));
  return people;
}

/** A group (POST /v1/groups); the order of `members` is the on-call rotation when `onCall`. */
export async function createGroup(
  node: WardenNode,
  adminToken: string,
  name: string,
  members: readonly Person[],
  onCall = false,
): Promise<string> {
  const res = await request(node, 'POST', '/v1/groups', adminToken, {
    name,
    onCall,
    members: members.map((m) => m.id),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().group.id as string;
}

/** The approval request a decision opened or used. */
export interface ApprovalRef {
  readonly id: string;
  readonly mode: string;
  readonly status: string;
  readonly deadline: string;
  readonly grantExpiresAt: string | null;
  readonly links: { readonly wait: string; readonly events: string };
}

export interface DecideAnswer {
  readonly effect: string;
  readonly code: string;
  readonly reason: string;
  readonly decisionId: string;
  readonly approvalRequest: ApprovalRef | null;
  readonly sample: { readonly mode: string } | null;
}

export interface DecideExtra {
  readonly context?: Record<string, unknown>;
  readonly approvalId?: string;
}

/** POST /v1/decide as an agent; fails the test unless it answers 200. */
export async function decide(
  node: WardenNode,
  key: string,
  tool: string,
  args: Record<string, unknown> = {},
  extra: DecideExtra = {},
): Promise<DecideAnswer> {
  const res = await request(node, 'POST', '/v1/decide', key, { tool, args, ...extra });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<DecideAnswer>();
}

/** A review's request id; fails the test when the call opened none. */
export async function openRequest(
  node: WardenNode,
  key: string,
  tool: string,
  args: Record<string, unknown> = {},
  extra: DecideExtra = {},
): Promise<string> {
  const answer = await decide(node, key, tool, args, extra);
  expect(answer.approvalRequest, answer.reason).not.toBeNull();
  return answer.approvalRequest?.id ?? '';
}

/** POST /v1/approvals/:id/approve or /deny. */
export function vote(
  node: WardenNode,
  token: string,
  id: string,
  verdict: 'approve' | 'deny',
  comment?: string,
) {
  return request(node, 'POST', `/v1/approvals/${id}/${verdict}`, token, comment ? { comment } : undefined);
}

/** POST approve/deny that must succeed. */
export async function voteOk(
  node: WardenNode,
  token: string,
  id: string,
  verdict: 'approve' | 'deny',
  comment?: string,
): Promise<ApprovalJson> {
  const res = await vote(node, token, id, verdict, comment);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ApprovalJson>();
}

export interface ApprovalStep {
  readonly name: string;
  readonly approvers: string[];
  readonly required: number;
  readonly approvals: number;
  readonly state: string;
}

/** The parts of GET /v1/approvals/:id the tests read. */
export interface ApprovalJson {
  readonly id: string;
  readonly kind: string;
  readonly mode: string;
  readonly status: string;
  readonly agentId: string;
  readonly decisionId: string | null;
  readonly tool: string | null;
  readonly actionDigest: string | null;
  readonly context: Record<string, unknown>;
  readonly steps: ApprovalStep[];
  readonly currentStep: string | null;
  readonly escalation: number;
  readonly eligible: string[];
  readonly onCall: string[];
  readonly excluded: { humanId: string; why: string }[];
  readonly votes: { humanId: string; step: string; verdict: string; comment: string | null }[];
  readonly deadline: string;
  readonly decidedBy: string | null;
  readonly comment: string | null;
  readonly grantExpiresAt: string | null;
  readonly consumedAt: string | null;
  readonly consumedBy: string | null;
}

/** What the requesting agent sees (wait, events). */
export interface AgentApproval {
  readonly id: string;
  readonly status: string;
  readonly mode: string;
  readonly deadline: string;
  readonly comment: string | null;
  readonly grantExpiresAt: string | null;
  readonly consumedAt: string | null;
}

export async function getApproval(node: WardenNode, token: string, id: string): Promise<ApprovalJson> {
  const res = await request(node, 'GET', `/v1/approvals/${id}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ApprovalJson>();
}

/** GET /v1/approvals/:id/wait as the agent; resolves with the answer and how long it took. */
export async function waitFor(node: WardenNode, key: string, id: string, timeoutSeconds: number) {
  const res = await request(node, 'GET', `/v1/approvals/${id}/wait?timeoutSeconds=${timeoutSeconds}`, key);
  expect(res.statusCode, res.body).toBe(200);
  return { ...res.json<{ approval: AgentApproval; timedOut: boolean }>(), at: performance.now() };
}

/** The audit event types about one request, in log order. */
export async function auditTypes(node: WardenNode, id: string): Promise<string[]> {
  return (await auditEventsOf(node, id)).map((e) => e.type);
}

export function count<T>(items: readonly T[], item: T): number {
  return items.filter((i) => i === item).length;
}

/** Polls `check` until it holds; fails after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerSentEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * A Server-Sent Events stream read with fetch from a listening node, the way a client reads it:
 * `next` gives the next event, or null once the server ended the stream.
 */
export class EventStreamReader {
  private readonly queue: ServerSentEvent[] = [];
  private readonly waiters: (() => void)[] = [];
  private ended = false;
  private readonly controller = new AbortController();
  status = 0;
  contentType = '';

  private constructor() {}

  /** Opens the stream with a bearer token, or with the headers given (a console session's cookie). */
  static async open(url: string, credential?: string | Record<string, string>): Promise<EventStreamReader> {
    const reader = new EventStreamReader();
    const res = await fetch(url, {
      headers:
        typeof credential === 'object'
          ? credential
          : credential
            ? { authorization: `Bearer ${credential}` }
            : {},
      signal: reader.controller.signal,
    });
    reader.status = res.status;
    reader.contentType = res.headers.get('content-type') ?? '';
    if (!res.body || res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      reader.finish();
      return reader;
    }
    void reader.pump(res.body);
    return reader;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.take(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by the test: the stream is over either way.
    }
    this.finish();
  }

  private take(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    this.queue.push({ event, data: JSON.parse(data.join('\n')) as unknown });
    this.wake();
  }

  private finish(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next event; null when the stream ended; throws after `timeoutMs` without one. */
  async next(timeoutMs = 5_000): Promise<ServerSentEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.queue.shift();
      if (event) return event;
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no server-sent event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Events received so far and not yet taken. */
  pending(): readonly ServerSentEvent[] {
    return [...this.queue];
  }

  get done(): boolean {
    return this.ended;
  }

  close(): void {
    this.controller.abort();
  }
}
