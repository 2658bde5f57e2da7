import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CRITERIA } from '../../src/trust/criteria.js';
import { addHuman, auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { DayClock, smallCriteria, writeTrustPolicyDir } from './trust-fixtures.js';

const UNKNOWN_AGENT = `agt_${'0'.repeat(26)}`;

function expectError(
  res: { statusCode: number; json: () => unknown },
  status: number,
  code: string,
  field?: string,
) {
  expect(res.statusCode).toBe(status);
  const error = (res.json() as { error: { code: string; message: string; details?: { field?: string } } })
    .error;
  expect(error.code).toBe(code);
  if (field) expect(error.details?.field).toBe(field);
}

/** The trust routes: criteria, an agent's standing, reported incidents; their errors and who may call. */
describe.each(DATABASES)('trust routes (%s)', (kind) => {
  const clock = new DayClock();
  let t: TestNode;
  let policyDir: string;
  let security: { id: string; token: string };
  let auditor: { id: string; token: string };
  let owner: { id: string; token: string };
  let other: { adminToken: string };

  beforeAll(async () => {
    policyDir = await writeTrustPolicyDir();
    t = await startTestNode(kind, { policyDir, clock: clock.now });
    security = await addHuman(t.node, ['security'], { now: clock.now() });
    auditor = await addHuman(t.node, ['auditor'], { now: clock.now() });
    owner = await addHuman(t.node, ['owner', 'approver'], { now: clock.now() });
    other = await createOtherTenant(t.node);
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  const criteriaRow = () => t.node.storage.db.selectFrom('trust_criteria').selectAll().execute();

  it('shows the defaults until set; security replaces them, audited with before and after', async () => {
    const shown = await request(t.node, 'GET', '/v1/trust/criteria', auditor.token);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json().criteria).toEqual(DEFAULT_CRITERIA);
    expectError(await request(t.node, 'GET', '/v1/trust/criteria', owner.token), 403, 'forbidden');
    expectError(
      await request(t.node, 'PUT', '/v1/trust/criteria', auditor.token, DEFAULT_CRITERIA),
      403,
      'forbidden',
    );

    const wanted = smallCriteria({ promotion: 'approval', reaskAfterDays: 3 });
    const saved = await request(t.node, 'PUT', '/v1/trust/criteria', security.token, wanted);
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().criteria).toEqual(wanted);
    expect((await request(t.node, 'GET', '/v1/trust/criteria', t.adminToken)).json().criteria).toEqual(
      wanted,
    );
    // Another tenant still has the defaults.
    expect((await request(t.node, 'GET', '/v1/trust/criteria', other.adminToken)).json().criteria).toEqual(
      DEFAULT_CRITERIA,
    );
    const events = (await auditEventsOf(t.node, t.node.bootstrap.tenant.id)).filter(
      (e) => e.type === 'trust.criteria_update',
    );
    expect(events.at(-1)?.actor).toMatchObject({ type: 'human', id: security.id });
    expect(events.at(-1)?.payload).toMatchObject({ to: wanted });
  });

  it('refuses bad criteria with a 400 naming the field, and changes nothing', async () => {
    const before = await criteriaRow();
    const bad: [unknown, string][] = [
      [{ ...DEFAULT_CRITERIA, promotion: 'sometimes' }, 'body.promotion'],
      [{ ...DEFAULT_CRITERIA, reaskAfterDays: 0 }, 'body.reaskAfterDays'],
      [{ ...DEFAULT_CRITERIA, surprise: true }, 'body'],
      [
        {
          ...DEFAULT_CRITERIA,
          promoteTo: {
            ...DEFAULT_CRITERIA.promoteTo,
            trusted: { ...DEFAULT_CRITERIA.promoteTo.trusted, minDaysInTier: -1 },
          },
        },
        'body.promoteTo.trusted.minDaysInTier',
      ],
      [
        {
          ...DEFAULT_CRITERIA,
          promoteTo: {
            ...DEFAULT_CRITERIA.promoteTo,
            monitored: { ...DEFAULT_CRITERIA.promoteTo.monitored, withinBudgetDaysPercent: 101 },
          },
        },
        'body.promoteTo.monitored.withinBudgetDaysPercent',
      ],
      [
        {
          ...DEFAULT_CRITERIA,
          promoteTo: {
            ...DEFAULT_CRITERIA.promoteTo,
            monitored: { ...DEFAULT_CRITERIA.promoteTo.monitored, maxFailureRatePercent: 0 },
          },
        },
        'body.promoteTo.monitored.maxFailureRatePercent',
      ],
      [{ promotion: 'automatic' }, 'body.demotion'],
    ];
    for (const [body, field] of bad) {
      const res = await request(t.node, 'PUT', '/v1/trust/criteria', security.token, body as object);
      expectError(res, 400, 'invalid_request');
      expect(
        (res.json() as { error: { details?: { field?: string } } }).error.details?.field ?? '',
      ).toContain(field);
    }
    expect(await criteriaRow()).toEqual(before);
  });

  it("explains an agent's standing to any human of its tenant, and nothing of another tenant's", async () => {
    const { agent } = await seedAgent(t.node, { tier: 'monitored', ownerId: owner.id });
    const shown = await request(t.node, 'GET', `/v1/agents/${agent.id}/trust`, owner.token);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json()).toMatchObject({
      agentId: agent.id,
      tier: 'monitored',
      nextTier: 'trusted',
      eligible: false,
      lastEvaluatedAt: null,
      pendingPromotion: null,
      evidence: { successes: 0, activeDays: 0 },
    });
    expect(shown.json().criteria.map((c: { name: string }) => c.name)).toEqual([
      'days_in_tier',
      'critical_incidents',
      'within_budget',
      'successful_actions',
      'failure_rate',
    ]);
    const top = await seedAgent(t.node, { tier: 'trusted', ownerId: owner.id });
    expect(
      (await request(t.node, 'GET', `/v1/agents/${top.agent.id}/trust`, owner.token)).json(),
    ).toMatchObject({
      tier: 'trusted',
      nextTier: null,
      eligible: false,
      criteria: [],
    });
    expectError(
      await request(t.node, 'GET', `/v1/agents/${UNKNOWN_AGENT}/trust`, owner.token),
      404,
      'not_found',
    );
    expectError(
      await request(t.node, 'GET', `/v1/agents/${agent.id}/trust`, other.adminToken),
      404,
      'not_found',
    );
    expectError(
      await request(t.node, 'GET', '/v1/agents/nope/trust', owner.token),
      400,
      'invalid_request',
      'params.id',
    );
    expectError(await request(t.node, 'GET', `/v1/agents/${agent.id}/trust`), 401, 'unauthenticated');
  });

  it('records a reported incident with its severity; refuses bad reports naming the field', async () => {
    const { agent } = await seedAgent(t.node, { tier: 'sandbox', ownerId: owner.id });
    const count = async () =>
      (
        await t.node.storage.db
          .selectFrom('incidents')
          .select('id')
          .where('agent_id', '=', agent.id)
          .execute()
      ).length;
    const cases: [object, string][] = [
      [{ agentId: agent.id, severity: 'catastrophic', summary: 's' }, 'body.severity'],
      [{ agentId: agent.id, severity: 'major', summary: '' }, 'body.summary'],
      [{ agentId: 'agt_bad', severity: 'major', summary: 's' }, 'body.agentId'],
      [{ agentId: UNKNOWN_AGENT, severity: 'major', summary: 's' }, 'body.agentId'],
      [{ severity: 'major', summary: 's' }, 'body.agentId'],
    ];
    for (const [body, field] of cases) {
      expectError(
        await request(t.node, 'POST', '/v1/incidents', security.token, body),
        400,
        'invalid_request',
        field,
      );
    }
    expectError(
      await request(t.node, 'POST', '/v1/incidents', owner.token, {
        agentId: agent.id,
        severity: 'major',
        summary: 's',
      }),
      403,
      'forbidden',
    );
    expect(await count()).toBe(0);
    const made = await request(t.node, 'POST', '/v1/incidents', security.token, {
      agentId: agent.id,
      severity: 'major',
      summary: 'answered a customer in the wrong language',
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({ incident: { agentId: agent.id, severity: 'major' }, demotion: null });
    const listed = await request(t.node, 'GET', `/v1/incidents?agentId=${agent.id}`, security.token);
    expect(listed.json().incidents).toEqual([
      expect.objectContaining({
        kind: 'reported',
        severity: 'major',
        summary: 'answered a customer in the wrong language',
      }),
    ]);
  });
});
