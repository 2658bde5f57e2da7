import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { issueHumanToken } from '../../src/credentials/issue.js';
import { newId } from '../../src/ids.js';
import type { WardenNode } from '../../src/main.js';
import { writeTransaction } from '../../src/storage/database.js';
import type { HumanRole } from '../../src/tenants/roles.js';
import { auditEventsOf, request } from '../helpers/api.js';

/** Shared fixtures of the separation-of-duties, access-request and registration tests. */

export interface Person {
  readonly id: string;
  readonly token: string;
  readonly email: string;
}

/** A policy directory of its own, so a test's rules are exactly the ones it reads. */
export async function policyDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-sod-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/**
 * A human with a chosen e-mail address, straight into storage: policies name their author by address,
 * and a task names the human it runs for the same way.
 */
export async function addPerson(
  node: WardenNode,
  roles: HumanRole[],
  email: string,
  options: { tenantId?: string } = {},
): Promise<Person> {
  const now = Date.now();
  const tenantId = options.tenantId ?? node.bootstrap.tenant.id;
  const id = newId('usr', now);
  const token = await writeTransaction(node.storage, async (trx) => {
    await trx
      .insertInto('humans')
      .values({
        id,
        tenant_id: tenantId,
        email,
        name: email.split('@')[0] ?? email,
        roles: JSON.stringify(roles),
        status: 'active',
        created_at: now,
        updated_at: now,
      })
      .execute();
    return issueHumanToken(trx, { tenantId, humanId: id, name: 'test', expiresAt: null, now });
  });
  return { id, token: token.secret, email };
}

/** Creates a group through the API (as the tenant's admin) and returns its id. */
export async function createGroup(
  node: WardenNode,
  adminToken: string,
  name: string,
  members: readonly string[],
): Promise<string> {
  const res = await request(node, 'POST', '/v1/groups', adminToken, { name, members: [...members] });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { group: { id: string } }).group.id;
}

export interface ApprovalBody {
  id: string;
  kind: string;
  mode: string;
  status: string;
  agentId: string;
  requester: { type: string; id: string };
  currentStep: string | null;
  steps: { name: string; approvers: string[]; required: number; approvals: number; state: string }[];
  eligible: string[];
  excluded: { humanId: string; why: string }[];
  votes: { humanId: string; step: string; verdict: string }[];
  decidedBy: string | null;
  context: Record<string, unknown>;
}

/** GET /v1/approvals/:id as this human; fails the test unless it answers 200. */
export async function getApproval(node: WardenNode, token: string, id: string): Promise<ApprovalBody> {
  const res = await request(node, 'GET', `/v1/approvals/${id}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as ApprovalBody;
}

/** What a refused vote must leave as it was: the row, its votes and its audit trail. */
export interface ApprovalState {
  readonly status: string;
  readonly step: number;
  readonly version: number;
  readonly votes: number;
  readonly events: readonly string[];
}

export async function stateOf(node: WardenNode, id: string): Promise<ApprovalState> {
  const row = await node.storage.db
    .selectFrom('approval_requests')
    .select(['status', 'step', 'version'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const votes = await node.storage.db
    .selectFrom('approval_votes')
    .select('human_id')
    .where('request_id', '=', id)
    .execute();
  const events = (await auditEventsOf(node, id)).map((e) => e.type);
  return { status: row.status, step: row.step, version: row.version, votes: votes.length, events };
}

const OUTCOMES = ['approval.grant', 'approval.reject', 'approval.timeout'];

/**
 * Votes and expects a refusal with this HTTP status and error code that changed nothing: the request
 * is where it was, no vote row, no vote or outcome event.
 */
export async function expectRefused(
  node: WardenNode,
  token: string,
  id: string,
  verdict: 'approve' | 'deny',
  expected: { status: number; code: string },
): Promise<void> {
  const before = await stateOf(node, id);
  const res = await request(node, 'POST', `/v1/approvals/${id}/${verdict}`, token, { comment: 'trying' });
  expect(res.statusCode, res.body).toBe(expected.status);
  expect(res.json().error.code).toBe(expected.code);
  const after = await stateOf(node, id);
  expect(after).toEqual(before);
  if (before.status === 'pending') expect(after.events.filter((e) => OUTCOMES.includes(e))).toEqual([]);
}

/** Votes and expects it accepted; returns the request as the vote left it. */
export async function vote(
  node: WardenNode,
  token: string,
  id: string,
  verdict: 'approve' | 'deny',
): Promise<ApprovalBody> {
  const res = await request(node, 'POST', `/v1/approvals/${id}/${verdict}`, token, {
    comment: 'looked at it',
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as ApprovalBody;
}

/** A clock the test moves by hand, for grants and deadlines. */
export class TestClock {
  private current = Date.now();
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}
