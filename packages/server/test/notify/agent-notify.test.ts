import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueHumanToken } from '../../src/credentials/issue.js';
import { newId } from '../../src/ids.js';
import type { Notification, Notifier } from '../../src/notify/notifier.js';
import { writeTransaction } from '../../src/storage/database.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  failing = false;
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
    if (this.failing) throw new Error('channel down');
  }
}

describe.each(DATABASES)('agent changes notify owners through the Notifier port (%s)', (db) => {
  let t: TestNode;
  const notifier = new RecordingNotifier();
  let serial = 0;

  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
    t.node.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${t.adminToken}` },
      ...(payload ? { payload } : {}),
    });

  async function addOwner(): Promise<{ id: string; email: string }> {
    const now = Date.now();
    const tenantId = t.node.bootstrap.tenant.id;
    const id = newId('usr', now);
    const email = `owner${++serial}@example.test`;
    await writeTransaction(t.node.storage, async (trx) => {
      await trx
        .insertInto('humans')
        .values({
          id,
          tenant_id: tenantId,
          email,
          name: `Owner ${serial}`,
          roles: JSON.stringify(['owner']),
          status: 'active',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await issueHumanToken(trx, { tenantId, humanId: id, name: 'test', expiresAt: null, now });
    });
    return { id, email };
  }

  async function createAgent(ownerId: string): Promise<string> {
    const res = await call('POST', '/v1/agents', {
      name: `notified-${++serial}`,
      ownerId,
      purpose: 'triages tickets',
      risk: 'internal',
      environments: ['sandbox'],
    });
    expect(res.statusCode).toBe(201);
    return res.json().agent.id;
  }

  beforeAll(async () => {
    t = await startTestNode(db, { notifier });
  });
  afterAll(() => t.close());
  afterEach(() => {
    notifier.sent.length = 0;
    notifier.failing = false;
  });

  it('tells the owner who changed what', async () => {
    const owner = await addOwner();
    const agentId = await createAgent(owner.id);
    expect(notifier.sent).toEqual([]);
    const res = await call('PATCH', `/v1/agents/${agentId}`, {
      purpose: 'triages and answers tickets',
      roles: ['triage'],
    });
    expect(res.statusCode).toBe(200);
    expect(notifier.sent).toEqual([
      {
        type: 'agent.update',
        tenantId: t.node.bootstrap.tenant.id,
        recipient: { humanId: owner.id, email: owner.email },
        subject: { type: 'agent', id: agentId },
        summary: expect.stringMatching(
          /^Administrator <admin@localhost> changed purpose, roles of agent notified-\d+$/,
        ),
        data: {
          agentName: expect.stringMatching(/^notified-/),
          changes: res.json().changes,
          actor: { type: 'human', id: t.node.bootstrap.created?.adminId },
        },
        at: expect.any(Number),
      },
    ]);
  });

  it('tells both the previous and the new owner when ownership moves', async () => {
    const first = await addOwner();
    const second = await addOwner();
    const agentId = await createAgent(first.id);
    await call('PATCH', `/v1/agents/${agentId}`, { ownerId: second.id });
    expect(notifier.sent.map((n) => n.recipient.email).sort()).toEqual([first.email, second.email].sort());
    expect(notifier.sent.every((n) => n.type === 'agent.update')).toBe(true);
  });

  it('sends nothing for a no-op patch', async () => {
    const owner = await addOwner();
    const agentId = await createAgent(owner.id);
    const res = await call('PATCH', `/v1/agents/${agentId}`, { purpose: 'triages tickets' });
    expect(res.json().changes).toEqual({});
    expect(notifier.sent).toEqual([]);
  });

  it('keeps the change when the notifier fails', async () => {
    const owner = await addOwner();
    const agentId = await createAgent(owner.id);
    notifier.failing = true;
    const res = await call('PATCH', `/v1/agents/${agentId}`, { maxChildren: 4 });
    expect(res.statusCode).toBe(200);
    expect(notifier.sent).toHaveLength(1);
    expect((await call('GET', `/v1/agents/${agentId}`)).json().agent.maxChildren).toBe(4);
  });
});
