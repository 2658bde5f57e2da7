import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import type { TrustCriteria } from '../../src/trust/criteria.js';
import { DEFAULT_CRITERIA } from '../../src/trust/criteria.js';
import { auditEventsOf, request } from '../helpers/api.js';

export const DAY = 86_400_000;

/**
 * The policy of the trust tests: a plain allowed tool, a call reviewed after the fact, and a tool
 * only a monitored agent may use (so a test sees the decide path read the new tier at once).
 */
export const TRUST_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: trust-tiers
  owner: policy-author@example.test
spec:
  agents:
    roles: [support-assistant]
  rules:
    - id: search
      effect: allow
      tools: [kb.search]
      reason: Searching is fine
    - id: close-then-review
      effect: review
      tools: [tickets.close]
      reason: Closed tickets are reviewed afterwards
      approval:
        mode: post
        approvers: ["group:support-leads"]
        timeout: 1h
    - id: monitored-only
      effect: allow
      tools: [crm.update]
      when: agent.tier == 'monitored'
      reason: Only monitored agents update the CRM
`;

export async function writeTrustPolicyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-trust-policy-'));
  await writeFile(join(dir, 'trust.yaml'), TRUST_POLICY);
  return dir;
}

/** A frozen clock the test moves by days. */
export class DayClock {
  current = Date.now();
  readonly now = (): number => this.current;
  advanceDays(days: number): void {
    this.current += days * DAY;
  }
}

/** Small criteria for tests that are about one criterion at a time. */
export function smallCriteria(overrides: Partial<TrustCriteria> = {}): TrustCriteria {
  const tier = {
    minDaysInTier: 30,
    maxCriticalIncidents: 0,
    withinBudgetDaysPercent: 95,
    minSuccessfulActions: 5,
    maxFailureRatePercent: 20,
  };
  return {
    ...DEFAULT_CRITERIA,
    promotion: 'automatic',
    promoteTo: { monitored: tier, trusted: tier },
    ...overrides,
  };
}

export async function putCriteria(node: WardenNode, token: string, criteria: TrustCriteria) {
  const res = await request(node, 'PUT', '/v1/trust/criteria', token, criteria);
  expect(res.statusCode, res.body).toBe(200);
}

/** `n` governed calls of `kb.search`, each with a reported outcome. */
export async function act(
  node: WardenNode,
  key: string,
  n: number,
  status: 'succeeded' | 'failed' = 'succeeded',
) {
  for (let i = 0; i < n; i++) {
    const decided = await request(node, 'POST', '/v1/decide', key, {
      tool: 'kb.search',
      args: { q: `q${i}` },
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const { decisionId, effect } = decided.json() as { decisionId: string; effect: string };
    expect(effect).toBe('allow');
    const outcome = await request(node, 'POST', `/v1/decisions/${decisionId}/outcome`, key, { status });
    expect(outcome.statusCode, outcome.body).toBe(200);
  }
}

export async function tierOf(node: WardenNode, agentId: string): Promise<string> {
  const row = await node.storage.db
    .selectFrom('agents')
    .select('tier')
    .where('id', '=', agentId)
    .executeTakeFirstOrThrow();
  return row.tier;
}

export async function trustEvents(node: WardenNode, agentId: string, type: string) {
  return (await auditEventsOf(node, agentId)).filter((e) => e.type === type);
}

export interface Standing {
  tier: string;
  tierSince: string;
  nextTier: string | null;
  eligible: boolean;
  pendingPromotion: string | null;
  criteria: { name: string; met: boolean; actual: string; required: string; needs: string | null }[];
  evidence: Record<string, number>;
}

export async function standing(node: WardenNode, token: string, agentId: string): Promise<Standing> {
  const res = await request(node, 'GET', `/v1/agents/${agentId}/trust`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Standing;
}

export function criterion(s: Standing, name: string) {
  const found = s.criteria.find((c) => c.name === name);
  if (!found) throw new Error(`no criterion ${name}`);
  return found;
}
