import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOtherTenant, type Method, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import {
  type ApprovalJson,
  auditTypes,
  createGroup,
  createHuman,
  EventStreamReader,
  getApproval,
  openRequest,
  type Person,
  POLICY_AUTHOR,
  sleep,
  voteOk,
  writePolicyDir,
} from './approvals-fixtures.js';

const UNKNOWN_ID = `apr_${'0'.repeat(26)}`;

interface Agent {
  readonly agent: { readonly id: string };
  readonly key: string;
}

/** Happy, error and security tests for every approvals route (and incidents). */
describe.each(DATABASES)('approval routes (%s)', (kind) => {
  let policyDir: string;
  let t: TestNode;
  let url: string;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;
  /** An approver in support-leads and stewards. */
  let lead: Person;
  /** A viewer in support-leads and stewards: sees what they may decide, nothing else. */
  let viewerLead: Person;
  /** A viewer in stewards only. */
  let steward: Person;
  /** The acceptance policy's author, in support-leads. */
  let author: Person;
  let outsideApprover: Person;
  let viewer: Person;
  let owner: Person;
  let security: Person;
  let auditor: Person;
  let agentA: Agent;
  let agentB: Agent;
  let ownedAgent: Agent;

  beforeAll(async () => {
    policyDir = await writePolicyDir();
    t = await startTestNode(kind, { policyDir });
    url = await t.node.listen();
    const admin = t.adminToken;
    lead = await createHuman(t.node, admin, ['approver']);
    viewerLead = await createHuman(t.node, admin, ['viewer']);
    steward = await createHuman(t.node, admin, ['viewer']);
    author = await createHuman(t.node, admin, ['approver'], POLICY_AUTHOR);
    outsideApprover = await createHuman(t.node, admin, ['approver']);
    viewer = await createHuman(t.node, admin, ['viewer']);
    owner = await createHuman(t.node, admin, ['owner']);
    security = await createHuman(t.node, admin, ['security']);
    auditor = await createHuman(t.node, admin, ['auditor']);
    await createGroup(t.node, admin, 'support-leads', [lead, viewerLead, author]);
    await createGroup(t.node, admin, 'stewards', [lead, viewerLead, steward]);
    agentA = await seedAgent(t.node);
    agentB = await seedAgent(t.node);
    ownedAgent = await seedAgent(t.node, { ownerId: owner.id });
    other = await createOtherTenant(t.node);
  });
  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const call = (method: Method, path: string, token?: string, payload?: object) =>
    request(t.node, method, path, token, payload);

  let serial = 0;
  const refund = (agent: Agent = agentA, extra = {}) =>
    openRequest(t.node, agent.key, 'payments.refund', { amount: 600 + ++serial }, extra);

  function expectError(
    res: { statusCode: number; json(): unknown },
    status: number,
    code: string,
    field?: string,
  ) {
    expect(res.statusCode).toBe(status);
    const error = (res.json() as { error: { code: string; message: string; details?: { field?: string } } })
      .error;
    expect(error.code).toBe(code);
    if (field) {
      expect(error.details?.field).toBe(field);
      expect(error.message).toContain(field);
    }
  }

  describe('GET /v1/approvals', () => {
    let listed: Agent;
    let all: string[];
    let approved: string;
    let denied: string;
    let access: string;
    let twoOfThree: string;

    beforeAll(async () => {
      listed = await seedAgent(t.node);
      const refunds = [
        await refund(listed),
        await refund(listed),
        await refund(listed),
        await refund(listed),
      ];
      approved = refunds[0] ?? '';
      denied = refunds[1] ?? '';
      await voteOk(t.node, lead.token, approved, 'approve');
      await voteOk(t.node, lead.token, denied, 'deny');
      twoOfThree = await openRequest(t.node, listed.key, 'crm.records.export', { table: 'leads' });
      await voteOk(t.node, lead.token, twoOfThree, 'approve');
      const asked = await call('POST', '/v1/access-requests', listed.key, {
        tools: ['payments.refund'],
        justification: 'Refund backlog this week',
        durationSeconds: 3600,
      });
      expect(asked.statusCode, asked.body).toBe(201);
      access = asked.json().id;
      all = [...refunds, twoOfThree, access].sort().reverse();
    });

    const list = async (query: string, token = t.adminToken) => {
      const res = await call('GET', `/v1/approvals?${query}`, token);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ approvals: ApprovalJson[]; nextCursor: string | null }>();
    };
    const idsOf = (page: { approvals: ApprovalJson[] }) => page.approvals.map((a) => a.id);

    it("lists an agent's requests newest first", async () => {
      const page = await list(`agentId=${listed.agent.id}`);
      expect(idsOf(page)).toEqual(all);
      expect(page.nextCursor).toBeNull();
      expect(page.approvals[0]).toMatchObject({ links: { self: `/v1/approvals/${all[0]}` } });
    });

    it('filters by status and kind', async () => {
      expect(idsOf(await list(`agentId=${listed.agent.id}&status=approved`))).toEqual([approved]);
      expect(idsOf(await list(`agentId=${listed.agent.id}&status=denied`))).toEqual([denied]);
      expect(idsOf(await list(`agentId=${listed.agent.id}&kind=access`))).toEqual([access]);
      const pendingActions = await list(`agentId=${listed.agent.id}&kind=action&status=pending`);
      expect(idsOf(pendingActions)).toEqual(all.filter((id) => ![approved, denied, access].includes(id)));
      expect(idsOf(await list(`agentId=${listed.agent.id}&kind=registration`))).toEqual([]);
    });

    it('keeps with mine=true the pending requests I may decide and have not voted on', async () => {
      const mineForLead = idsOf(await list(`agentId=${listed.agent.id}&mine=true`, lead.token));
      // The lead approved twoOfThree already; the two open refunds are theirs to decide.
      expect(mineForLead).toEqual(all.filter((id) => ![approved, denied, access, twoOfThree].includes(id)));
      const mineForSteward = idsOf(await list(`agentId=${listed.agent.id}&mine=true`, steward.token));
      expect(mineForSteward).toEqual([twoOfThree]);
      expect(idsOf(await list('mine=true', viewer.token))).toEqual([]);
      expect(idsOf(await list('mine=true', outsideApprover.token))).toEqual([]);
    });

    it('pages with limit and cursor without gaps or repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { approvals: ApprovalJson[]; nextCursor: string | null } = await list(
          `agentId=${listed.agent.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.approvals.length).toBeLessThanOrEqual(2);
        seen.push(...idsOf(page));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / 2));
    });

    it('shows people without an overseeing role only what concerns them', async () => {
      expect(idsOf(await list(`agentId=${listed.agent.id}`, viewer.token))).toEqual([]);
      // The steward may decide twoOfThree, and sees nothing else of this agent.
      expect(idsOf(await list(`agentId=${listed.agent.id}`, steward.token))).toEqual([twoOfThree]);
      const owned = await refund(ownedAgent);
      expect(idsOf(await list('', owner.token))).toEqual([owned]);
      expect(idsOf(await list(`agentId=${listed.agent.id}`, outsideApprover.token))).toEqual(all);
    });

    it("shows another tenant's admin none of this tenant's requests", async () => {
      expect(idsOf(await list('', other.adminToken))).toEqual([]);
      expect(idsOf(await list(`agentId=${listed.agent.id}`, other.adminToken))).toEqual([]);
    });

    it('refuses no credential (401) and an agent key (403)', async () => {
      expectError(await call('GET', '/v1/approvals'), 401, 'unauthenticated');
      expectError(await call('GET', '/v1/approvals', agentA.key), 403, 'forbidden');
    });

    it('refuses bad filters with 400 naming the parameter', async () => {
      const bad: [string, string][] = [
        ['status=maybe', 'querystring.status'],
        ['kind=robot', 'querystring.kind'],
        ['agentId=nope', 'querystring.agentId'],
        ['limit=0', 'querystring.limit'],
        ['limit=201', 'querystring.limit'],
        ['cursor=apr_bad', 'querystring.cursor'],
        ['mine=perhaps', 'querystring.mine'],
        ['colour=red', 'querystring.colour'],
      ];
      for (const [query, field] of bad) {
        expectError(await call('GET', `/v1/approvals?${query}`, t.adminToken), 400, 'invalid_request', field);
      }
    });
  });

  describe('GET /v1/approvals/:id', () => {
    it('shows a request to an admin, an approver, and an eligible viewer', async () => {
      const id = await refund();
      for (const token of [
        t.adminToken,
        outsideApprover.token,
        viewerLead.token,
        security.token,
        auditor.token,
      ]) {
        expect((await getApproval(t.node, token, id)).id).toBe(id);
      }
    });

    it('answers 404 to people it does not concern, to another tenant, and for unknown ids', async () => {
      const id = await refund();
      expectError(await call('GET', `/v1/approvals/${id}`, viewer.token), 404, 'not_found');
      expectError(await call('GET', `/v1/approvals/${id}`, steward.token), 404, 'not_found');
      expectError(await call('GET', `/v1/approvals/${id}`, owner.token), 404, 'not_found');
      expectError(await call('GET', `/v1/approvals/${id}`, other.adminToken), 404, 'not_found');
      expectError(await call('GET', `/v1/approvals/${UNKNOWN_ID}`, t.adminToken), 404, 'not_found');
    });

    it('refuses no credential, an agent key and a malformed id', async () => {
      const id = await refund();
      expectError(await call('GET', `/v1/approvals/${id}`), 401, 'unauthenticated');
      expectError(await call('GET', `/v1/approvals/${id}`, agentA.key), 403, 'forbidden');
      expectError(
        await call('GET', '/v1/approvals/not-an-id', t.adminToken),
        400,
        'invalid_request',
        'params.id',
      );
    });
  });

  describe('POST /v1/approvals/:id/approve and /deny', () => {
    it('records an approval with its comment; a second decision gets 409', async () => {
      const id = await refund();
      const approved = await voteOk(t.node, lead.token, id, 'approve', 'fine by me');
      expect(approved).toMatchObject({ id, status: 'approved', decidedBy: lead.id, comment: 'fine by me' });
      expect(approved.votes).toEqual([
        expect.objectContaining({
          humanId: lead.id,
          step: 'approval',
          verdict: 'approve',
          comment: 'fine by me',
        }),
      ]);
      for (const verdict of ['approve', 'deny']) {
        const late = await call('POST', `/v1/approvals/${id}/${verdict}`, viewerLead.token);
        expectError(late, 409, 'conflict');
        expect(late.json().error.details.status).toBe('approved');
      }
    });

    it('records a denial without a comment', async () => {
      const id = await refund();
      const res = await call('POST', `/v1/approvals/${id}/deny`, viewerLead.token);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: 'denied', decidedBy: viewerLead.id, comment: null });
    });

    for (const verdict of ['approve', 'deny'] as const) {
      it(`refuses a bad ${verdict} and changes nothing`, async () => {
        const id = await refund();
        const path = `/v1/approvals/${id}/${verdict}`;
        const before = await auditTypes(t.node, id);
        expectError(await call('POST', path), 401, 'unauthenticated');
        expectError(await call('POST', path, agentA.key), 403, 'separation_of_duties');
        expectError(await call('POST', path, other.adminToken), 404, 'not_found');
        expectError(await call('POST', path, outsideApprover.token), 403, 'forbidden');
        expectError(await call('POST', path, viewer.token), 403, 'forbidden');
        expectError(await call('POST', path, steward.token), 403, 'forbidden');
        expectError(await call('POST', path, author.token), 403, 'separation_of_duties');
        expectError(
          await call('POST', `/v1/approvals/${UNKNOWN_ID}/${verdict}`, lead.token),
          404,
          'not_found',
        );
        expectError(
          await call('POST', `/v1/approvals/apr_nope/${verdict}`, lead.token),
          400,
          'invalid_request',
          'params.id',
        );
        expectError(
          await call('POST', path, lead.token, { comment: 'x'.repeat(2001) }),
          400,
          'invalid_request',
          'body.comment',
        );
        expectError(
          await call('POST', path, lead.token, { comment: '' }),
          400,
          'invalid_request',
          'body.comment',
        );
        expectError(
          await call('POST', path, lead.token, { comment: 7 }),
          400,
          'invalid_request',
          'body.comment',
        );
        expectError(
          await call('POST', path, lead.token, { comment: 'ok', verdict: 'approve' }),
          400,
          'invalid_request',
          'body.verdict',
        );

        const after = await getApproval(t.node, t.adminToken, id);
        expect(after).toMatchObject({ status: 'pending', votes: [], decidedBy: null });
        expect(after.steps[0]?.approvals).toBe(0);
        expect(await auditTypes(t.node, id)).toEqual(before);
        // The lead can still decide.
        expect((await voteOk(t.node, lead.token, id, verdict)).status).toBe(
          verdict === 'approve' ? 'approved' : 'denied',
        );
      });
    }

    it('excludes the policy author and the on-behalf-of human (separation_of_duties)', async () => {
      const id = await refund(agentA, { context: { onBehalfOf: viewerLead.email } });
      const shown = await getApproval(t.node, t.adminToken, id);
      expect(shown.excluded).toEqual(
        expect.arrayContaining([
          { humanId: author.id, why: 'policy_owner' },
          { humanId: viewerLead.id, why: 'on_behalf_of' },
        ]),
      );
      expect(shown.eligible).toEqual([lead.id]);
      expectError(
        await call('POST', `/v1/approvals/${id}/approve`, viewerLead.token),
        403,
        'separation_of_duties',
      );
      expectError(await call('POST', `/v1/approvals/${id}/deny`, author.token), 403, 'separation_of_duties');
      expect((await getApproval(t.node, t.adminToken, id)).status).toBe('pending');
    });
  });

  describe('separation of duties for a high-risk agent', () => {
    it('refuses its owner as the only approver, and lets another approver decide', async () => {
      const risky = await seedAgent(t.node, { risk: 'financial', ownerId: lead.id });
      const id = await refund(risky);
      expectError(await call('POST', `/v1/approvals/${id}/approve`, lead.token), 403, 'separation_of_duties');
      const shown = await getApproval(t.node, t.adminToken, id);
      expect(shown).toMatchObject({ status: 'pending', votes: [] });
      expect((await voteOk(t.node, viewerLead.token, id, 'approve')).status).toBe('approved');
    });

    it('still lets the owner deny', async () => {
      const risky = await seedAgent(t.node, { risk: 'phi', ownerId: lead.id });
      const id = await refund(risky);
      expect((await voteOk(t.node, lead.token, id, 'deny', 'not this one')).status).toBe('denied');
    });
  });

  describe('GET /v1/approvals/:id/wait', () => {
    it('answers at once with timedOut true when timeoutSeconds is 0', async () => {
      const id = await refund();
      const started = performance.now();
      const res = await call('GET', `/v1/approvals/${id}/wait?timeoutSeconds=0`, agentA.key);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ approval: { id, status: 'pending' }, timedOut: true });
    });

    it('answers after timeoutSeconds with timedOut true when nobody decides', async () => {
      const id = await refund();
      const started = performance.now();
      const res = await call('GET', `/v1/approvals/${id}/wait?timeoutSeconds=1`, agentA.key);
      const took = performance.now() - started;
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ approval: { id, status: 'pending' }, timedOut: true });
      expect(took).toBeGreaterThanOrEqual(950);
      expect(took).toBeLessThan(3_000);
    });

    it('answers a settled request at once, telling the agent the outcome but not who decided', async () => {
      const id = await refund();
      await voteOk(t.node, lead.token, id, 'approve', 'ok');
      const res = await call('GET', `/v1/approvals/${id}/wait?timeoutSeconds=30`, agentA.key);
      expect(res.statusCode).toBe(200);
      const { approval, timedOut } = res.json();
      expect(timedOut).toBe(false);
      expect(Object.keys(approval).sort()).toEqual(
        [
          'actionDigest',
          'comment',
          'consumedAt',
          'decidedAt',
          'deadline',
          'grantExpiresAt',
          'id',
          'kind',
          'mode',
          'status',
          'tool',
        ].sort(),
      );
      expect(res.body).not.toContain(lead.id);
    });

    it("refuses no credential, a human token, another agent's request and unknown ids", async () => {
      const id = await refund();
      const path = `/v1/approvals/${id}/wait?timeoutSeconds=0`;
      expectError(await call('GET', path), 401, 'unauthenticated');
      expectError(await call('GET', path, t.adminToken), 403, 'forbidden');
      expectError(await call('GET', path, lead.token), 403, 'forbidden');
      expectError(await call('GET', path, agentB.key), 404, 'not_found');
      expectError(await call('GET', `/v1/approvals/${UNKNOWN_ID}/wait`, agentA.key), 404, 'not_found');
    });

    it('refuses bad parameters with 400 naming them', async () => {
      const id = await refund();
      const bad: [string, string][] = [
        [`/v1/approvals/${id}/wait?timeoutSeconds=61`, 'querystring.timeoutSeconds'],
        [`/v1/approvals/${id}/wait?timeoutSeconds=-1`, 'querystring.timeoutSeconds'],
        [`/v1/approvals/${id}/wait?timeoutSeconds=soon`, 'querystring.timeoutSeconds'],
        [`/v1/approvals/${id}/wait?poll=1`, 'querystring.poll'],
        ['/v1/approvals/apr_x/wait', 'params.id'],
      ];
      for (const [path, field] of bad) {
        expectError(await call('GET', path, agentA.key), 400, 'invalid_request', field);
      }
    });
  });

  describe('GET /v1/approvals/:id/events', () => {
    it('sends a settled request once and ends the stream', async () => {
      const id = await refund();
      await voteOk(t.node, lead.token, id, 'deny');
      const res = await call('GET', `/v1/approvals/${id}/events`, agentA.key);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      const events = res.body.split('\n\n').filter((block) => block.startsWith('event:'));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatch(/^event: approval\ndata: /);
      expect(JSON.parse(events[0]?.split('\ndata: ')[1] ?? '{}')).toMatchObject({ id, status: 'denied' });
      expect(res.body).not.toContain(lead.id);
    });

    it("refuses no credential, a human token, another agent's request and bad ids", async () => {
      const id = await refund();
      const path = `/v1/approvals/${id}/events`;
      expectError(await call('GET', path), 401, 'unauthenticated');
      expectError(await call('GET', path, t.adminToken), 403, 'forbidden');
      expectError(await call('GET', path, agentB.key), 404, 'not_found');
      expectError(await call('GET', `/v1/approvals/${UNKNOWN_ID}/events`, agentA.key), 404, 'not_found');
      expectError(
        await call('GET', '/v1/approvals/x/events', agentA.key),
        400,
        'invalid_request',
        'params.id',
      );
    });
  });

  describe('GET /v1/approvals/stream', () => {
    it('streams changes to the humans who may see them, and to no one else', async () => {
      const adminFeed = await EventStreamReader.open(`${url}/v1/approvals/stream`, t.adminToken);
      const viewerFeed = await EventStreamReader.open(`${url}/v1/approvals/stream`, viewer.token);
      const otherFeed = await EventStreamReader.open(`${url}/v1/approvals/stream`, other.adminToken);
      try {
        expect([adminFeed.status, viewerFeed.status, otherFeed.status]).toEqual([200, 200, 200]);
        expect(adminFeed.contentType).toMatch(/^text\/event-stream/);
        const id = await refund();
        const opened = await adminFeed.next();
        expect(opened?.event).toBe('approval');
        expect(opened?.data).toMatchObject({ id, status: 'pending', tool: 'payments.refund' });
        expect((opened?.data as ApprovalJson | undefined)?.steps).toHaveLength(1);
        await voteOk(t.node, lead.token, id, 'approve');
        const decided = await adminFeed.next();
        expect(decided?.data).toMatchObject({ id, status: 'approved', decidedBy: lead.id });
        await sleep(200);
        expect(viewerFeed.pending()).toEqual([]);
        expect(otherFeed.pending()).toEqual([]);
      } finally {
        adminFeed.close();
        viewerFeed.close();
        otherFeed.close();
      }
    });

    it('refuses no credential (401) and an agent key (403)', async () => {
      expectError(await call('GET', '/v1/approvals/stream'), 401, 'unauthenticated');
      expectError(await call('GET', '/v1/approvals/stream', agentA.key), 403, 'forbidden');
    });
  });

  describe('GET /v1/incidents', () => {
    let incidentId: string;
    let approvalId: string;

    beforeAll(async () => {
      approvalId = await openRequest(t.node, agentA.key, 'tickets.close', { ticket: 'T-routes' });
      await voteOk(t.node, lead.token, approvalId, 'deny', 'reopen it');
      const res = await call('GET', '/v1/incidents', t.adminToken);
      incidentId =
        (res.json().incidents as { id: string; approvalId: string }[]).find(
          (i) => i.approvalId === approvalId,
        )?.id ?? '';
      expect(incidentId).not.toBe('');
    });

    it('lists incidents for admins, security and auditors', async () => {
      for (const token of [t.adminToken, security.token, auditor.token]) {
        const res = await call('GET', '/v1/incidents', token);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().incidents).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              id: incidentId,
              kind: 'review_rejected',
              agentId: agentA.agent.id,
              approvalId,
              detail: expect.objectContaining({ comment: 'reopen it' }),
            }),
          ]),
        );
      }
    });

    it('filters by agent', async () => {
      const mine = await call('GET', `/v1/incidents?agentId=${agentA.agent.id}`, t.adminToken);
      expect((mine.json().incidents as { id: string }[]).map((i) => i.id)).toContain(incidentId);
      const theirs = await call('GET', `/v1/incidents?agentId=${agentB.agent.id}`, t.adminToken);
      expect(theirs.json().incidents).toEqual([]);
    });

    it('refuses other roles, agent keys and no credential; shows another tenant nothing', async () => {
      expectError(await call('GET', '/v1/incidents'), 401, 'unauthenticated');
      expectError(await call('GET', '/v1/incidents', agentA.key), 403, 'forbidden');
      for (const person of [lead, outsideApprover, viewer, owner]) {
        expectError(await call('GET', '/v1/incidents', person.token), 403, 'forbidden');
      }
      const theirs = await call('GET', '/v1/incidents', other.adminToken);
      expect(theirs.statusCode).toBe(200);
      expect(theirs.json().incidents).toEqual([]);
    });

    it('refuses bad parameters with 400 naming them', async () => {
      const bad: [string, string][] = [
        ['agentId=robot', 'querystring.agentId'],
        ['limit=0', 'querystring.limit'],
        ['limit=501', 'querystring.limit'],
        ['since=yesterday', 'querystring.since'],
      ];
      for (const [query, field] of bad) {
        expectError(await call('GET', `/v1/incidents?${query}`, t.adminToken), 400, 'invalid_request', field);
      }
    });
  });
});
