import { expect } from 'vitest';
import type { WardenNode } from '../../src/main.js';
import { request } from '../helpers/api.js';
import { bearer } from '../helpers/seed-agent.js';

/** A clock tests move by hand. */
export class ManualClock {
  constructor(private current: number) {}
  readonly now = (): number => this.current;
  set(at: number): void {
    this.current = at;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export function decide(node: WardenNode, key: string, payload: object) {
  return node.app.inject({ method: 'POST', url: '/v1/decide', headers: bearer(key), payload });
}

export function reportOutcome(node: WardenNode, key: string, decisionId: string, payload: object) {
  return node.app.inject({
    method: 'POST',
    url: `/v1/decisions/${decisionId}/outcome`,
    headers: bearer(key),
    payload,
  });
}

let serial = 0;

/** Creates a budget through the API (a unique name unless given); answers its id. */
export async function createBudget(node: WardenNode, token: string, body: object): Promise<string> {
  const res = await request(node, 'POST', '/v1/budgets', token, { name: `budget-${++serial}`, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

/** The audit event types about a subject, in log order. */
export async function eventTypes(node: WardenNode, subjectId: string): Promise<string[]> {
  const rows = await node.storage.db
    .selectFrom('audit_events')
    .select('type')
    .where('subject_id', '=', subjectId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.type);
}
