import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { writeTransaction } from '../../src/storage/database.js';
import { addHuman, createOtherTenant, request } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

/**
 * A small bundle covering every answer "what can this agent do" gives: an unconditional allow, a
 * review, an unconditional deny over a broader allow, a conditional allow, a guardrail review on top
 * of an allow, and a tool only a temporary grant opens.
 */
const POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: helper-policy
  description: What the helper agents may do.
  owner: pat.owner@example.com
spec:
  agents:
    roles: [helper]
  rules:
    - id: read-docs
      effect: allow
      tools: [docs.read, docs.search, files.delete]
      reason: Reading the docs is fine.
    - id: send-mail-review
      effect: review
      tools: [mail.send]
      reason: Mail goes out only after a human looks.
      approval:
        approvers: [group:reviewers]
        required: 1
        timeout: 1h
        onTimeout: deny
    - id: refund-small
      effect: allow
      tools: [payments.refund]
      when: args.amount <= 100
      reason: Small refunds are fine.
    - id: no-docs-delete
      effect: deny
      tools: [docs.delete]
      reason: Nobody deletes docs.
    - id: docs-all
      effect: allow
      tools: ['docs.*']
      reason: The docs server is open.
---
apiVersion: warden/v1
kind: Guardrail
metadata:
  name: careful-deletes
  description: Deleting files waits for security.
  owner: sam.security@example.com
spec:
  agents:
    roles: [helper]
  rules:
    - id: delete-review
      effect: review
      tools: [files.delete]
      reason: Deletes wait for security.
      approval:
        approvers: [group:security]
        required: 1
        timeout: 1h
        onTimeout: deny
`;

describe.each(DATABASES)('console read APIs (%s)', (kind) => {
  let t: TestNode;
  let policyDir: string;
  let agentId: string;
  let ownerToken: string;
  let approverToken: string;
  let auditorToken: string;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;

  beforeAll(async () => {
    policyDir = await mkdtemp(join(tmpdir(), 'warden-console-policies-'));
    await writeFile(join(policyDir, 'helper.yaml'), POLICY);
    t = await startTestNode(kind, { policyDir });
    const owner = await addHuman(t.node, ['owner']);
    ownerToken = owner.token;
    approverToken = (await addHuman(t.node, ['approver'])).token;
    auditorToken = (await addHuman(t.node, ['auditor'])).token;
    const seeded = await seedAgent(t.node, { roles: ['helper'], ownerId: owner.id, name: 'helper-one' });
    agentId = seeded.agent.id;
    other = await createOtherTenant(t.node);
  });

  afterAll(async () => {
    await t?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  it('answers the overview to an admin with every part', async () => {
    const res = await request(t.node, 'GET', '/v1/console/overview', t.adminToken);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.agents.byStatus.active).toBe(1);
    expect(body.agents.byTier.monitored).toBe(1);
    expect(body.spend.series).toHaveLength(30);
    expect(body.decisions24h).toHaveLength(24);
    expect(body.incidents).toEqual({ open: 0, recent: [] });
    expect(body.waiting).toEqual({ approvals: 0, more: false });
  });

  it('lists the capabilities of an agent', async () => {
    const res = await request(t.node, 'GET', `/v1/agents/${agentId}/capabilities`, approverToken);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.defaultEffect).toBe('deny');
    const byTool = Object.fromEntries(body.tools.map((c: { tool: string }) => [c.tool, c]));
    expect(byTool['docs.read']).toMatchObject({ effect: 'allow', conditional: false, via: 'policy' });
    expect(byTool['mail.send']).toMatchObject({ effect: 'review', conditional: false });
    expect(byTool['docs.delete']).toMatchObject({ effect: 'deny' });
    expect(byTool['payments.refund']).toMatchObject({ effect: 'allow', conditional: true });
    expect(byTool['files.delete']).toMatchObject({ effect: 'review', conditional: false });
    expect(
      byTool['files.delete'].rules.map((r: { rule: string; owner: string }) => [r.rule, r.owner]),
    ).toEqual([
      ['read-docs', 'pat.owner@example.com'],
      ['delete-review', 'sam.security@example.com'],
    ]);
  });

  it('refuses another tenant and bad parameters', async () => {
    const foreign = await request(t.node, 'GET', `/v1/agents/${agentId}/capabilities`, other.adminToken);
    expect(foreign.statusCode).toBe(404);
    const bad = await request(t.node, 'GET', '/v1/anomalies?limit=0', t.adminToken);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('limit');
  });
});
