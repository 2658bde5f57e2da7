import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitCache } from '../../src/limits/rate-limit-cache.js';
import type { RateLimitRuleInput } from '../../src/limits/rate-limit-rules.js';
import { rateLimitAuditEvents } from '../../src/limits/rate-limit-service.js';
import { hasChanges, listRules, replaceFromConfig } from '../../src/limits/rate-limit-store.js';
import { LocalSignals } from '../../src/signals/signals.js';
import { writeTransaction } from '../../src/storage/database.js';
import { auditEventsOf } from '../helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { type LimitsApp, limitsApp } from './limits-app.js';

const SYSTEM = { type: 'system', id: 'budgets-file' } as const;

const rule = (name: string, extra: Partial<RateLimitRuleInput> = {}): RateLimitRuleInput => ({
  name,
  scope: 'agent',
  agentId: null,
  tier: null,
  tool: null,
  maxCalls: 10,
  windowSeconds: 60,
  ...extra,
});

describe.each(DATABASES)('budgets-file rate limits (%s)', (kind) => {
  let t: TestNode;
  let limits: LimitsApp;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestNode(kind, { policyDir: null });
    limits = await limitsApp(t.node);
    tenantId = t.node.bootstrap.tenant.id;
  });
  afterAll(async () => {
    await limits?.close();
    await t?.close();
  });

  it('makes the config rules equal to the file, matched by name, and audits each change', async () => {
    const first = await limits.service.syncFromConfig(
      tenantId,
      [
        rule('per-agent'),
        rule('per-task', { scope: 'task', maxCalls: 100 }),
        rule('crm', { scope: 'tool', tool: 'crm.*' }),
      ],
      SYSTEM,
    );
    expect(first.created.map((r) => r.name)).toEqual(['per-agent', 'per-task', 'crm']);
    const ids = Object.fromEntries(first.created.map((r) => [r.name, r.id]));

    // The same file again changes nothing and writes no audit events.
    const again = await limits.service.syncFromConfig(
      tenantId,
      [
        rule('per-agent'),
        rule('per-task', { scope: 'task', maxCalls: 100 }),
        rule('crm', { scope: 'tool', tool: 'crm.*' }),
      ],
      SYSTEM,
    );
    expect(hasChanges(again)).toBe(false);

    const next = await limits.service.syncFromConfig(
      tenantId,
      [
        rule('per-agent', { maxCalls: 20 }),
        rule('crm', { scope: 'tool', tool: 'crm.*' }),
        rule('new-one', { tier: 'sandbox' }),
      ],
      SYSTEM,
    );
    expect(next.updated.map((u) => [u.after.name, u.after.id, u.after.maxCalls])).toEqual([
      ['per-agent', ids['per-agent'], 20],
    ]);
    expect(next.deleted.map((r) => r.id)).toEqual([ids['per-task']]);
    expect(next.created.map((r) => r.name)).toEqual(['new-one']);

    const stored = await listRules(t.node.storage.db, tenantId);
    expect(stored.map((r) => [r.name, r.source, r.maxCalls])).toEqual([
      ['crm', 'config', 10],
      ['new-one', 'config', 10],
      ['per-agent', 'config', 20],
    ]);
    expect((await auditEventsOf(t.node, ids['per-agent'] ?? '')).map((e) => [e.type, e.actor])).toEqual([
      ['rate_limit.create', SYSTEM],
      ['rate_limit.update', SYSTEM],
    ]);
    expect((await auditEventsOf(t.node, ids['per-task'] ?? '')).map((e) => e.type)).toEqual([
      'rate_limit.create',
      'rate_limit.delete',
    ]);
    expect((await auditEventsOf(t.node, ids.crm ?? '')).map((e) => e.type)).toEqual(['rate_limit.create']);
  });

  it('leaves API rules alone and refuses to take over an API rule by name, changing nothing', async () => {
    const admin = { kind: 'human', tenantId, humanId: 'usr_x', tokenId: 'tok_x', roles: ['admin'] } as const;
    const byHand = await limits.service.create(admin, rule('by-hand'));
    const before = await listRules(t.node.storage.db, tenantId);
    await expect(
      limits.service.syncFromConfig(
        tenantId,
        [rule('crm', { scope: 'tool', tool: 'crm.*' }), rule('by-hand')],
        SYSTEM,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await listRules(t.node.storage.db, tenantId)).toEqual(before);
    // A file without the API rule leaves it in place.
    await limits.service.syncFromConfig(tenantId, [], SYSTEM);
    expect((await listRules(t.node.storage.db, tenantId)).map((r) => r.id)).toEqual([byHand.id]);
  });

  it('runs inside a caller transaction with its audit events', async () => {
    const changes = await writeTransaction(t.node.storage, async (trx) => {
      const changes = await replaceFromConfig(trx, tenantId, [rule('in-trx')], 1_000);
      await t.node.audit.append(trx, tenantId, rateLimitAuditEvents(changes, SYSTEM, 1_000));
      return changes;
    });
    const created = changes.created[0];
    expect(created).toMatchObject({ name: 'in-trx', source: 'config', createdAt: 1_000 });
    expect((await auditEventsOf(t.node, created?.id ?? '')).map((e) => e.type)).toEqual([
      'rate_limit.create',
    ]);
  });
});

describe('rate-limit rule cache', () => {
  let t: TestNode;
  let second: TestNode;
  let limits: LimitsApp;

  beforeAll(async () => {
    t = await startTestNode('postgres', { policyDir: null });
    second = await startTestNode('postgres', { policyDir: null, shared: t.database });
    limits = await limitsApp(t.node);
  });
  afterAll(async () => {
    await limits?.close();
    await second?.close();
    await t?.close();
  });

  it("drops a tenant's rules on every node when they change (rate_limits.changed)", async () => {
    const tenantId = t.node.bootstrap.tenant.id;
    const agent = { id: `agt_${'3'.repeat(26)}`, tenantId, tier: 'monitored' as const };
    const remote = new RateLimitCache(second.node.storage, second.node.signals, 3_600_000, Date.now);
    expect(await remote.keys(agent, null, 'x')).toEqual([]);
    const admin = { kind: 'human', tenantId, humanId: 'usr_x', tokenId: 'tok_x', roles: ['admin'] } as const;
    const created = await limits.service.create(admin, rule('everyone', { maxCalls: 3 }));
    // The TTL is an hour: only the signal from the other node can make this node see the rule.
    const deadline = Date.now() + 5_000;
    let keys = await remote.keys(agent, null, 'x');
    while (keys.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      keys = await remote.keys(agent, null, 'x');
    }
    expect(keys.map((k) => [k.ruleId, k.limit])).toEqual([[created.id, 3]]);
  });

  it('starts over when signals may have been missed', async () => {
    const signals = new (class extends LocalSignals {
      lose() {
        this.reset();
      }
    })();
    const cache = new RateLimitCache(t.node.storage, signals, 3_600_000, Date.now);
    const tenantId = t.node.bootstrap.tenant.id;
    const before = (await cache.rules(tenantId)).rules.length;
    // Written behind the cache's back (no signal on its bus): only a reset shows it.
    await writeTransaction(t.node.storage, (trx) =>
      replaceFromConfig(trx, tenantId, [rule('unsignalled')], Date.now()),
    );
    expect((await cache.rules(tenantId)).rules.length).toBe(before);
    signals.lose();
    expect((await cache.rules(tenantId)).rules.map((r) => r.name)).toContain('unsignalled');
  });
});
