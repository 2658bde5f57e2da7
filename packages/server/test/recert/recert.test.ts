import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notify/notifier.js';
import { sweepCampaigns } from '../../src/recert/recert-deadlines.js';
import { DAY, grant, writeDriftPolicies } from '../drift/drift-fixtures.js';
import { addHuman, auditEventsOf, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

interface ItemJson {
  agentId: string;
  status: string;
  decision: string | null;
  reduction: { rules: { id: string; file: string; change: string }[]; revokedGrants: string[] } | null;
  drift: { unusedRules: string[] };
}

describe.each(DATABASES)('recertification campaigns (%s)', (db) => {
  let t: TestNode;
  let policyDir: string;
  let now = Date.UTC(2026, 8, 1, 9);
  const sent: Notification[] = [];
  let owner: { id: string; token: string };
  let otherOwner: { id: string; token: string };
  let security: { id: string; token: string };
  let auditor: { token: string };

  beforeAll(async () => {
    policyDir = await writeDriftPolicies();
    t = await startTestNode(db, {
      policyDir,
      clock: () => now,
      notifier: { notify: async (n) => void sent.push(n) },
    });
    owner = await addHuman(t.node, ['owner']);
    otherOwner = await addHuman(t.node, ['owner']);
    security = await addHuman(t.node, ['security']);
    auditor = await addHuman(t.node, ['auditor']);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    sent.length = 0;
  });

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, token: string, body?: object) =>
    request(t.node, method, url, token, body);
  const deps = () => ({
    storage: t.node.storage,
    audit: t.node.audit,
    signals: t.node.signals,
    notifier: { notify: async (n: Notification) => void sent.push(n) },
    log: t.node.app.log,
    clock: () => now,
  });
  const agentsOf = async (ownerId: string, count: number, risk: 'internal' | 'pii' = 'internal') => {
    const agents = [];
    for (let i = 0; i < count; i++)
      agents.push(await seedAgent(t.node, { roles: ['drifter'], ownerId, risk }));
    return agents;
  };
  const start = async (scope: object, deadlineIn = 7 * DAY) => {
    const res = await api('POST', '/v1/recert/campaigns', t.adminToken, {
      name: 'Q3 review',
      deadline: new Date(now + deadlineIn).toISOString(),
      scope,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().campaign as { id: string; status: string; onNoResponse: string };
  };
  const items = async (id: string, token = t.adminToken) => {
    const res = await api('GET', `/v1/recert/campaigns/${id}`, token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      campaign: { status: string };
      progress: Record<string, number>;
      items: ItemJson[];
    };
  };
  const certify = (campaignId: string, agentId: string, token: string, body: object) =>
    api('POST', `/v1/recert/campaigns/${campaignId}/agents/${agentId}/certify`, token, body);

  it('runs a campaign: owners are asked, keep, reduce and retire are recorded, the last answer completes it', async () => {
    const [keep, reduce, retire] = await agentsOf(owner.id, 3);
    if (!keep || !reduce || !retire) throw new Error('agents');
    const idle = await grant(t.node, reduce.agent.id, ['billing.read'], now - DAY, now + 10 * DAY);
    const policyOwner = await addHuman(t.node, ['viewer']);
    await t.node.storage.db
      .updateTable('humans')
      .set({ email: 'policy-owner@example.test' })
      .where('id', '=', policyOwner.id)
      .execute();
    const campaign = await start({ owner: owner.id });
    expect(campaign).toMatchObject({ status: 'open', onNoResponse: 'flag' });
    const asked = sent.filter((n) => n.type === 'recert.request');
    expect(asked.map((n) => n.recipient.humanId)).toEqual([owner.id]);
    expect(asked[0]?.data.agents).toBe(3);

    const before = await items(campaign.id, owner.token);
    expect(before.progress).toMatchObject({ total: 3, pending: 3 });
    // The drift the owner sees: nothing was used, so every rule is a candidate.
    expect(before.items[0]?.drift.unusedRules).toEqual(['files-read', 'reports-write', 'admin-reset']);

    const kept = await certify(campaign.id, keep.agent.id, owner.token, {
      decision: 'keep',
      comment: 'still needed',
    });
    expect(kept.statusCode, kept.body).toBe(200);
    expect(kept.json().item).toMatchObject({ status: 'kept', decision: 'keep', certifiedBy: owner.id });

    const reduced = await certify(campaign.id, reduce.agent.id, owner.token, {
      decision: 'reduce',
      remove: { rules: ['admin-reset'], grants: [idle] },
    });
    expect(reduced.statusCode, reduced.body).toBe(200);
    const reduction = (reduced.json().item as ItemJson).reduction;
    expect(reduction?.revokedGrants).toEqual([idle]);
    expect(reduction?.rules[0]).toMatchObject({ id: 'admin-reset', file: 'drifters.yaml' });
    expect(reduction?.rules[0]?.change).toContain("Remove rule 'admin-reset'");
    const revoked = await t.node.storage.db
      .selectFrom('access_grants')
      .select('revoked_at')
      .where('id', '=', idle)
      .executeTakeFirstOrThrow();
    expect(revoked.revoked_at).toBe(now);
    // The rule's change goes to the policy's owner, who edits the file.
    expect(sent.filter((n) => n.type === 'recert.reduce').map((n) => n.recipient.humanId)).toEqual([
      policyOwner.id,
    ]);

    const retired = await certify(campaign.id, retire.agent.id, owner.token, { decision: 'retire' });
    expect(retired.statusCode, retired.body).toBe(200);
    expect(retired.json().campaign.status).toBe('completed');
    const agent = await t.node.storage.db
      .selectFrom('agents')
      .select('status')
      .where('id', '=', retire.agent.id)
      .executeTakeFirstOrThrow();
    expect(agent.status).toBe('retired');
    expect((await auditEventsOf(t.node, retire.agent.id)).map((e) => e.type)).toContain('agent.retire');

    const events = (await auditEventsOf(t.node, campaign.id)).map((e) => e.type);
    expect(events).toEqual([
      'recert.start',
      'recert.certify',
      'recert.certify',
      'recert.certify',
      'recert.complete',
    ]);
    const after = await items(campaign.id);
    expect(after.progress).toMatchObject({ total: 3, kept: 1, reduced: 1, retired: 1, pending: 0 });
  });

  it('lets only the owner, an admin or security certify, and each agent once', async () => {
    const [mine] = await agentsOf(owner.id, 2);
    if (!mine) throw new Error('agent');
    const campaign = await start({ owner: owner.id });
    const foreign = await certify(campaign.id, mine.agent.id, otherOwner.token, { decision: 'keep' });
    expect(foreign.statusCode).toBe(403);
    const viaAuditor = await certify(campaign.id, mine.agent.id, auditor.token, { decision: 'keep' });
    expect(viaAuditor.statusCode).toBe(403);
    const bySecurity = await certify(campaign.id, mine.agent.id, security.token, { decision: 'keep' });
    expect(bySecurity.statusCode, bySecurity.body).toBe(200);
    const again = await certify(campaign.id, mine.agent.id, owner.token, { decision: 'retire' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('already certified');
    // An owner sees only the items of their own agents.
    expect((await items(campaign.id, otherOwner.token)).items).toEqual([]);
  });

  it('under concurrent answers: one answer per agent wins, and the campaign completes once', async () => {
    const raceOwner = await addHuman(t.node, ['owner']);
    const [first, second] = await agentsOf(raceOwner.id, 2);
    if (!first || !second) throw new Error('agents');
    const campaign = await start({ owner: raceOwner.id });
    const same = await Promise.all([
      certify(campaign.id, first.agent.id, raceOwner.token, { decision: 'keep' }),
      certify(campaign.id, first.agent.id, security.token, { decision: 'keep' }),
    ]);
    expect(same.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const last = await Promise.all([
      certify(campaign.id, second.agent.id, raceOwner.token, { decision: 'keep' }),
      certify(campaign.id, second.agent.id, security.token, { decision: 'keep' }),
    ]);
    expect(last.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const types = (await auditEventsOf(t.node, campaign.id)).map((e) => e.type);
    expect(types.filter((type) => type === 'recert.certify')).toHaveLength(2);
    expect(types.filter((type) => type === 'recert.complete')).toHaveLength(1);
    expect((await items(campaign.id)).campaign.status).toBe('completed');
  });

  it('refuses a campaign over no agents, and bad input, naming the field and changing nothing', async () => {
    const lonely = await addHuman(t.node, ['owner']);
    const audited = async () =>
      Number(
        (
          await t.node.storage.db
            .selectFrom('audit_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const eventsBefore = await audited();
    const none = await api('POST', '/v1/recert/campaigns', t.adminToken, {
      name: 'empty',
      deadline: new Date(now + DAY).toISOString(),
      scope: { owner: lonely.id },
    });
    expect(none.statusCode).toBe(409);
    expect(none.json().error.message).toContain('a campaign over no agents is refused');
    const noPhi = await api('POST', '/v1/recert/campaigns', t.adminToken, {
      name: 'phi',
      deadline: new Date(now + DAY).toISOString(),
      scope: { risk: 'phi' },
    });
    expect(noPhi.statusCode).toBe(409);
    expect(noPhi.json().error.message).toContain('risk class phi');

    for (const [body, field] of [
      [{ name: 'x', deadline: new Date(now - 1).toISOString() }, 'body.deadline'],
      [{ name: 'x', deadline: 'tomorrow' }, 'deadline'],
      [{ name: '', deadline: new Date(now + DAY).toISOString() }, 'name'],
      [{ name: 'x', deadline: new Date(now + DAY).toISOString(), scope: { risk: 'secret' } }, 'risk'],
      [
        {
          name: 'x',
          deadline: new Date(now + DAY).toISOString(),
          scope: { owner: 'usr_00000000000000000000000000' },
        },
        'body.scope.owner',
      ],
      [{ name: 'x', deadline: new Date(now + DAY).toISOString(), extra: 1 }, 'extra'],
    ] as const) {
      const res = await api('POST', '/v1/recert/campaigns', t.adminToken, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.body).toContain(field);
    }
    expect(
      await t.node.storage.db
        .selectFrom('recert_campaigns')
        .select('id')
        .where('name', 'in', ['empty', 'phi', 'x'])
        .execute(),
    ).toEqual([]);
    expect(await audited()).toBe(eventsBefore);

    const [agent] = await agentsOf(lonely.id, 1);
    if (!agent) throw new Error('agent');
    const campaign = await start({ owner: lonely.id });
    for (const [body, field, status] of [
      [{ decision: 'maybe' }, 'decision', 400],
      [{ decision: 'keep', remove: { rules: ['files-read'] } }, 'body.remove', 400],
      [{ decision: 'reduce' }, 'body.remove', 400],
      [{ decision: 'reduce', remove: { rules: ['no-such-rule'] } }, 'body.remove.rules[0]', 400],
      [
        { decision: 'reduce', remove: { grants: ['grt_00000000000000000000000000'] } },
        'body.remove.grants[0]',
        400,
      ],
    ] as const) {
      const res = await certify(campaign.id, agent.agent.id, t.adminToken, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.body).toContain(field);
    }
    const unknown = await certify('rcp_00000000000000000000000000', agent.agent.id, t.adminToken, {
      decision: 'keep',
    });
    expect(unknown.statusCode).toBe(404);
    const outsider = await seedAgent(t.node, { roles: ['drifter'] });
    const notIn = await certify(campaign.id, outsider.agent.id, t.adminToken, { decision: 'keep' });
    expect(notIn.statusCode).toBe(404);
    expect((await items(campaign.id)).progress).toMatchObject({ pending: 1 });
  });

  it('escalates unanswered agents to security at the deadline, then suspends them after the grace, once', async () => {
    const put = await api('PUT', '/v1/recert/settings', security.token, {
      onNoResponse: 'suspend',
      graceSeconds: 3_600,
    });
    expect(put.statusCode, put.body).toBe(200);
    const lateOwner = await addHuman(t.node, ['owner']);
    const [answered, silent, alsoSilent] = await agentsOf(lateOwner.id, 3);
    if (!answered || !silent || !alsoSilent) throw new Error('agents');
    const campaign = await start({ owner: lateOwner.id }, DAY);
    expect(campaign.onNoResponse).toBe('suspend');
    await certify(campaign.id, answered.agent.id, lateOwner.token, { decision: 'keep' });

    now += DAY - 1;
    expect(await sweepCampaigns(deps())).toBe(0);
    now += 1;
    // Two sweeps at once (as two nodes would): the campaign is escalated once.
    const moved = await Promise.all([sweepCampaigns(deps()), sweepCampaigns(deps())]);
    expect(moved[0] + moved[1]).toBe(1);
    const escalated = await items(campaign.id);
    expect(escalated.campaign.status).toBe('escalated');
    expect(escalated.progress).toMatchObject({ kept: 1, escalated: 2 });
    expect(sent.filter((n) => n.type === 'recert.escalate').map((n) => n.recipient.humanId)).toEqual([
      security.id,
    ]);

    // Security answers one during the grace; the other is suspended when it ends.
    const bySecurity = await certify(campaign.id, silent.agent.id, security.token, { decision: 'keep' });
    expect(bySecurity.statusCode, bySecurity.body).toBe(200);
    now += 3_600_000;
    const closed = await Promise.all([sweepCampaigns(deps()), sweepCampaigns(deps())]);
    expect(closed[0] + closed[1]).toBe(1);
    expect(await sweepCampaigns(deps())).toBe(0);
    const final = await items(campaign.id);
    expect(final.campaign.status).toBe('closed');
    expect(final.progress).toMatchObject({ kept: 2, suspended: 1 });
    const statuses = await t.node.storage.db
      .selectFrom('agents')
      .select(['id', 'status'])
      .where('id', 'in', [silent.agent.id, alsoSilent.agent.id])
      .execute();
    expect(Object.fromEntries(statuses.map((r) => [r.id, r.status]))).toEqual({
      [silent.agent.id]: 'active',
      [alsoSilent.agent.id]: 'suspended',
    });
    expect(
      (await auditEventsOf(t.node, alsoSilent.agent.id)).filter((e) => e.type === 'agent.suspend'),
    ).toHaveLength(1);
    const types = (await auditEventsOf(t.node, campaign.id)).map((e) => e.type);
    expect(types.filter((type) => type === 'recert.escalate')).toHaveLength(1);
    expect(types.filter((type) => type === 'recert.close')).toHaveLength(1);
    const late = await certify(campaign.id, alsoSilent.agent.id, lateOwner.token, { decision: 'keep' });
    expect(late.statusCode).toBe(409);
  });

  it('flags instead of suspending when the tenant says so', async () => {
    await api('PUT', '/v1/recert/settings', security.token, { onNoResponse: 'flag', graceSeconds: 0 });
    const flagOwner = await addHuman(t.node, ['owner']);
    const [silent] = await agentsOf(flagOwner.id, 1, 'pii');
    if (!silent) throw new Error('agent');
    const campaign = await start({ owner: flagOwner.id, risk: 'pii' }, DAY);
    now += DAY;
    expect(await sweepCampaigns(deps())).toBe(1);
    expect(await sweepCampaigns(deps())).toBe(1);
    const final = await items(campaign.id);
    expect(final.campaign.status).toBe('closed');
    expect(final.items[0]?.status).toBe('flagged');
    const agent = await t.node.storage.db
      .selectFrom('agents')
      .select('status')
      .where('id', '=', silent.agent.id)
      .executeTakeFirstOrThrow();
    expect(agent.status).toBe('active');
    expect(
      sent
        .filter((n) => n.type === 'recert.close')
        .map((n) => n.recipient.humanId)
        .sort(),
    ).toEqual([flagOwner.id, security.id].sort());
  });

  it('exports a campaign as JSON and CSV evidence, audited, for security and auditors', async () => {
    const exportOwner = await addHuman(t.node, ['owner']);
    const [a, b] = await agentsOf(exportOwner.id, 2);
    if (!a || !b) throw new Error('agents');
    const campaign = await start({ owner: exportOwner.id });
    await certify(campaign.id, a.agent.id, exportOwner.token, {
      decision: 'keep',
      comment: '=SUM(A1), "quoted"',
    });

    const json = await api('GET', `/v1/recert/campaigns/${campaign.id}/export?format=json`, auditor.token);
    expect(json.statusCode, json.body).toBe(200);
    expect(json.headers['content-type']).toContain('application/json');
    const evidence = json.json();
    expect(evidence.campaign.id).toBe(campaign.id);
    expect(evidence.progress).toMatchObject({ total: 2, kept: 1, pending: 1 });
    expect(evidence.items.map((i: { agentId: string }) => i.agentId).sort()).toEqual(
      [a.agent.id, b.agent.id].sort(),
    );
    expect(evidence.auditEvents.map((e: { type: string }) => e.type)).toEqual([
      'recert.start',
      'recert.certify',
      'recert.export',
    ]);
    expect(evidence.auditEvents[0].leafHash).toMatch(/=$/);

    const csv = await api('GET', `/v1/recert/campaigns/${campaign.id}/export?format=csv`, security.token);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toMatch(
      /^campaign_id,campaign,agent_id,agent,owner_id,owner_email,status,decision,comment/,
    );
    expect(lines).toHaveLength(3);
    // A comment a spreadsheet would run as a formula stays text.
    expect(csv.body).toContain(`"'=SUM(A1), ""quoted"""`);

    expect(
      (await api('GET', `/v1/recert/campaigns/${campaign.id}/export?format=json`, exportOwner.token))
        .statusCode,
    ).toBe(403);
    expect(
      (await api('GET', `/v1/recert/campaigns/${campaign.id}/export?format=xml`, auditor.token)).statusCode,
    ).toBe(400);
    const exports = (await auditEventsOf(t.node, campaign.id)).filter((e) => e.type === 'recert.export');
    expect(exports).toHaveLength(2);
  });

  it('lists campaigns with progress, and reads and changes the settings with their roles', async () => {
    const list = await api('GET', '/v1/recert/campaigns', auditor.token);
    expect(list.statusCode).toBe(200);
    expect(list.json().campaigns.length).toBeGreaterThan(0);
    expect((await api('PUT', '/v1/recert/settings', auditor.token, { graceSeconds: 10 })).statusCode).toBe(
      403,
    );
    const bad = await api('PUT', '/v1/recert/settings', security.token, { onNoResponse: 'delete' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('onNoResponse');
    const read = await api('GET', '/v1/recert/settings', auditor.token);
    expect(read.json()).toEqual({ onNoResponse: 'flag', graceSeconds: 0 });
  });
});
