import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGroup,
  createHuman,
  EventStreamReader,
  openRequest,
  type Person,
  writePolicyDir,
} from '../approvals/approvals-fixtures.js';
import { auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { type Browser, browse, signIn } from './console-client.js';

/**
 * A person acting through the console goes through the same routes, separation of duties and
 * audit as with a token: the session is only another way of carrying who they are.
 */
describe.each(DATABASES)('acting with a console session (%s)', (db) => {
  let t: TestNode;
  let policyDir: string;
  let url: string;
  let lead: Person;
  let browser: Browser;
  let agentKey: string;

  beforeAll(async () => {
    policyDir = await writePolicyDir();
    t = await startTestNode(db, { policyDir });
    url = await t.node.listen();
    lead = await createHuman(t.node, t.adminToken, ['approver']);
    await createGroup(t.node, t.adminToken, 'support-leads', [lead]);
    agentKey = (await seedAgent(t.node)).key;
    browser = await signIn(t.node, { token: lead.token });
  });
  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  it('approves with the CSRF header, audited as the human; refused without it', async () => {
    const id = await openRequest(t.node, agentKey, 'tickets.close', { ticket: 'T-console' });
    const refused = await browse(t.node, browser, 'POST', `/v1/approvals/${id}/approve`, {
      payload: { comment: 'ok' },
      csrf: false,
    });
    expect(refused.json().error.code).toBe('csrf_required');
    expect((await request(t.node, 'GET', `/v1/approvals/${id}`, t.adminToken)).json().status).toBe('pending');
    const approved = await browse(t.node, browser, 'POST', `/v1/approvals/${id}/approve`, {
      payload: { comment: 'ok' },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: lead.id });
    const events = await auditEventsOf(t.node, id);
    expect(events.find((e) => e.type === 'approval.grant')?.actor).toMatchObject({
      type: 'human',
      id: lead.id,
    });
  });

  it('streams approvals over SSE with the cookie alone (EventSource sends cookies on the same origin)', async () => {
    const feed = await EventStreamReader.open(`${url}/v1/approvals/stream`, {
      cookie: `warden_session=${browser.cookie}`,
    });
    const forged = await EventStreamReader.open(`${url}/v1/approvals/stream`, {
      cookie: `warden_session=wdn_s_${'z'.repeat(43)}`,
    });
    try {
      expect(feed.status).toBe(200);
      expect(feed.contentType).toMatch(/^text\/event-stream/);
      expect(forged.status).toBe(401);
      const id = await openRequest(t.node, agentKey, 'tickets.close', { ticket: 'T-stream' });
      const opened = await feed.next();
      expect(opened?.data).toMatchObject({ id, status: 'pending' });
    } finally {
      feed.close();
      forged.close();
    }
  });
});
