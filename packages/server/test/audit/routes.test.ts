import { canonicalJson } from '@warden/policy';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Checkpoint, openCheckpoint } from '../../src/audit/checkpoint/index.js';
import {
  CompactRange,
  leafHash,
  merkleRoot,
  rangeDecomposition,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle/index.js';
import { enforceRetention, retentionJob } from '../../src/audit/retention-job.js';
import { verifyExport as verifyWithVerifier } from '../../src/audit/verify/index.js';
import { addHuman, createOtherTenant, type Method, request } from '../helpers/api.js';
import { bearer, seedAgent } from '../helpers/seed-agent.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';

interface EventJson {
  id: string;
  seq: number;
  time: string;
  type: string;
  actor: { type: string; id: string; onBehalfOf?: string };
  subject: { type: string; id: string };
  task: { id: string } | null;
  tool: string | null;
  effect: string | null;
  outcome: string | null;
  rules: string[];
  policyVersion: string | null;
  redactions: Record<string, number>;
  payload: Record<string, unknown> | null;
  shredded: boolean;
  leafHash: string;
}

const DAY_MS = 86_400_000;
const b64 = (text: string) => Buffer.from(text, 'base64');

/** The checkpoint a signed note holds, after checking its signature. */
function opened(note: string, verifierKey: string): Checkpoint {
  const result = openCheckpoint(note, verifierKey);
  if (!result.ok) throw new Error(`checkpoint does not verify: ${result.message}`);
  return result.checkpoint;
}

/**
 * Checks a JSONL export the way an offline verifier would, with the merkle functions only: the
 * prefix and the events rebuild the tree, every checkpoint inside the export matches it, and the
 * suffix extends it to the root of the last checkpoint.
 */
function verifyExport(text: string, verifierKey: string) {
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const [header, ...rest] = lines;
  expect(header).toMatchObject({ kind: 'warden.audit.export', version: 1, verifierKey });
  const suffix = rest.pop();
  expect(suffix.kind).toBe('suffix');
  const events = rest.filter((l) => l.kind === 'event');
  const checkpoints = rest.filter((l) => l.kind === 'checkpoint');
  expect(events.length + checkpoints.length).toBe(rest.length);
  expect(events.length).toBe(header.end - header.begin);
  expect(checkpoints.length).toBeGreaterThan(0);

  const roots = new Map<number, Buffer>();
  for (const c of checkpoints) {
    const checkpoint = opened(c.note, verifierKey);
    expect(checkpoint.origin).toBe(header.origin);
    expect(checkpoint.size).toBe(c.size);
    roots.set(c.size, checkpoint.root);
  }
  const range = CompactRange.from(header.begin, header.prefix.map(b64));
  let checked = 0;
  for (const [i, line] of events.entries()) {
    expect(line.event.seq).toBe(header.begin + i);
    range.appendLeaf(leafHash(canonicalJson(line.event)));
    const root = roots.get(range.size);
    if (root) {
      expect(range.root().equals(root)).toBe(true);
      checked++;
    }
  }
  const refs = rangeDecomposition(header.end, suffix.size);
  expect(suffix.hashes).toHaveLength(refs.length);
  refs.forEach((ref, i) => {
    range.appendSubtree(ref.level, b64(suffix.hashes[i]));
  });
  const last = roots.get(suffix.size);
  expect(last && range.root().equals(last)).toBe(true);
  return { header, events, checkpoints, suffix, checkedInside: checked };
}

/** The same export through the offline verifier `warden audit verify --file` uses. */
async function verdictOf(text: string, verifierKey: string, anchorDir: string) {
  const lines = text.split('\n').filter(Boolean);
  const report = await verifyWithVerifier(
    async function* () {
      yield* lines;
    },
    { verifierKey, anchorDir },
  );
  return report;
}

describe.each(DATABASES)('the audit API (%s)', (db) => {
  let t: TestNode;
  let tenantId: string;
  let reviewer: Awaited<ReturnType<typeof seedAgent>>;
  let support: Awaited<ReturnType<typeof seedAgent>>;
  let auditor: string;
  let security: string;
  let owner: string;
  let viewer: string;
  let other: Awaited<ReturnType<typeof createOtherTenant>>;
  /** Every event of the default tenant, as the API lists it, once the mix is seeded. */
  let all: EventJson[];

  const call = (method: Method, url: string, token?: string, payload?: object) =>
    request(t.node, method, url, token, payload);

  async function decide(key: string, payload: object): Promise<string> {
    const res = await t.node.app.inject({ method: 'POST', url: '/v1/decide', headers: bearer(key), payload });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().decisionId as string;
  }

  async function listAll(query: string, token = t.adminToken): Promise<EventJson[]> {
    const events: EventJson[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/audit/events?limit=500${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call('GET', url, token);
      expect(res.statusCode, res.body).toBe(200);
      events.push(...res.json().events);
      cursor = res.json().nextCursor;
    } while (cursor);
    return events;
  }

  async function latest(token = t.adminToken) {
    const res = await call('GET', '/v1/audit/checkpoints/latest', token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { size: number; root: string; note: string; verifierKey: string; origin: string };
  }

  beforeAll(async () => {
    t = await startTestNode(db, {
      settings: {
        auditSubjectPaths: ['$.args.customer_id'],
        // Checkpoints only when a test asks for one, so sizes are predictable.
        auditCheckpointIntervalMs: 3_600_000,
      },
    });
    tenantId = t.node.bootstrap.tenant.id;
    auditor = (await addHuman(t.node, ['auditor'])).token;
    security = (await addHuman(t.node, ['security'])).token;
    owner = (await addHuman(t.node, ['owner'])).token;
    viewer = (await addHuman(t.node, ['viewer'])).token;
    other = await createOtherTenant(t.node);

    // A realistic mix: two agents' allowed, denied and reviewed calls, an outcome, and admin events.
    reviewer = await seedAgent(t.node, { roles: ['code-review-bot'] });
    support = await seedAgent(t.node, { roles: ['support-assistant'] });
    await decide(reviewer.key, { tool: 'github.repos.read', args: { repo: 'acme/api' } });
    await decide(reviewer.key, { tool: 'github.pulls.comment', args: { pull: 7, body: 'LGTM, one nit' } });
    await decide(reviewer.key, { tool: 'github.reviews.approve', args: { pull: 7 } });
    await decide(reviewer.key, { tool: 'github.repos.delete', args: { repo: 'acme/api' } });
    const search = await decide(support.key, {
      tool: 'kb.articles.search',
      args: { query: 'refund policy' },
      context: { taskId: 'ticket-1001', onBehalfOf: 'alice@example.com' },
    });
    await decide(support.key, {
      tool: 'payments.refund',
      args: { amount: 700 },
      context: { taskId: 'ticket-1001', onBehalfOf: 'alice@example.com', initiator: 'usr_alice' },
    });
    await decide(support.key, { tool: 'crm.contacts.read', args: { customer_id: 'cust-42' } });
    const outcome = await t.node.app.inject({
      method: 'POST',
      url: `/v1/decisions/${search}/outcome`,
      headers: bearer(support.key),
      payload: { status: 'succeeded', records: 3 },
    });
    expect(outcome.statusCode, outcome.body).toBe(200);
    const created = await call('POST', '/v1/humans', t.adminToken, {
      email: 'new.auditor@example.com',
      name: 'New Auditor',
      roles: ['auditor'],
    });
    expect(created.statusCode, created.body).toBe(201);
    // The other tenant's agent acts too: none of it may show up in this tenant's answers.
    const stranger = await seedAgent(t.node, { roles: ['code-review-bot'], tenantId: other.tenantId });
    await decide(stranger.key, { tool: 'github.repos.read', args: { repo: 'other/repo' } });

    all = await listAll('');
  });
  afterAll(() => t.close());

  describe('GET /v1/audit/events', () => {
    it('lists every event of the tenant in log order, decoded, with payloads opened', async () => {
      const count = await t.node.storage.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow();
      expect(all).toHaveLength(Number(count.n));
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i));
      const refund = all.find((e) => e.tool === 'payments.refund');
      expect(refund).toMatchObject({
        type: 'decision.review',
        actor: { type: 'agent', id: support.agent.id, onBehalfOf: 'alice@example.com' },
        subject: { type: 'decision' },
        task: { id: 'ticket-1001' },
        effect: 'review',
        outcome: null,
        rules: expect.arrayContaining(['support-refund-over-500-review']),
        policyVersion: expect.any(String),
        shredded: false,
      });
      expect(refund?.payload).toMatchObject({ args: { amount: 700 } });
      expect(all.findLast((e) => e.type === 'human.create')?.actor).toMatchObject({ type: 'human' });
      const rows = await t.node.storage.db
        .selectFrom('audit_events')
        .select(['id', 'leaf_hash'])
        .where('tenant_id', '=', tenantId)
        .orderBy('seq')
        .execute();
      expect(all.map((e) => [e.id, e.leafHash])).toEqual(rows.map((r) => [r.id, r.leaf_hash]));
    });

    it('narrows by each filter exactly as the fields say', async () => {
      const agentOf = (e: EventJson) =>
        e.actor.type === 'agent' ? e.actor.id : e.subject.type === 'agent' ? e.subject.id : null;
      const decisionTime = all.find((e) => e.tool === 'github.pulls.comment')?.time ?? '';
      const cases: [string, (e: EventJson) => boolean][] = [
        [`agent=${reviewer.agent.id}`, (e) => agentOf(e) === reviewer.agent.id],
        [`agent=${support.agent.id}`, (e) => agentOf(e) === support.agent.id],
        ['tool=github.pulls.comment', (e) => e.tool === 'github.pulls.comment'],
        ['tool=github.*', (e) => e.tool?.startsWith('github.') === true],
        ['tool=GITHUB.*', () => false],
        ['type=decision.deny', (e) => e.type === 'decision.deny'],
        ['type=decision.*', (e) => e.type.startsWith('decision.')],
        ['effect=allow', (e) => e.effect === 'allow'],
        ['outcome=succeeded', (e) => e.outcome === 'succeeded'],
        ['task=ticket-1001', (e) => e.task?.id === 'ticket-1001'],
        ['onBehalfOf=alice%40example.com', (e) => e.actor.onBehalfOf === 'alice@example.com'],
        ['rule=review-bot-no-approvals', (e) => e.rules.includes('review-bot-no-approvals')],
        ['rule=review-bot', () => false],
        ['rule=REVIEW-BOT-READ', () => false],
        [`from=${decisionTime}`, (e) => e.time >= decisionTime],
        [`to=${decisionTime}`, (e) => e.time < decisionTime],
        [
          `type=decision.*&effect=deny&agent=${reviewer.agent.id}`,
          (e) => e.type.startsWith('decision.') && e.effect === 'deny' && agentOf(e) === reviewer.agent.id,
        ],
      ];
      for (const [query, expected] of cases) {
        const found = await listAll(query);
        expect(
          found.map((e) => e.id),
          query,
        ).toEqual(all.filter(expected).map((e) => e.id));
      }
      // The mix makes the filters mean something: each of these narrows to a known set.
      expect((await listAll('tool=github.*')).map((e) => e.tool)).toEqual([
        'github.repos.read',
        'github.pulls.comment',
        'github.reviews.approve',
        'github.repos.delete',
      ]);
      expect((await listAll('type=decision.deny')).map((e) => e.tool)).toEqual([
        'github.reviews.approve',
        'github.repos.delete',
      ]);
      expect(await listAll('outcome=succeeded')).toHaveLength(1);
      // Two decisions, an outcome and the approval request the refund review opened, all in the task.
      expect((await listAll('task=ticket-1001')).map((e) => e.type).sort()).toEqual([
        'approval.request',
        'decision.allow',
        'decision.outcome',
        'decision.review',
      ]);
    });

    it('pages with cursors, in both orders, covering every event once', async () => {
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const url: string = `/v1/audit/events?limit=3&order=${order}${cursor ? `&cursor=${cursor}` : ''}`;
          const res = await call('GET', url, auditor);
          expect(res.statusCode).toBe(200);
          const page = res.json();
          expect(page.events.length).toBeLessThanOrEqual(3);
          seen.push(...page.events.map((e: EventJson) => e.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor);
        const expected = all.map((e) => e.id);
        expect(seen).toEqual(order === 'asc' ? expected : [...expected].reverse());
        expect(pages).toBe(Math.ceil(all.length / 3));
      }
    });

    it('answers bad query parameters with 400 naming the field', async () => {
      const asc = (await call('GET', '/v1/audit/events?limit=1', t.adminToken)).json().nextCursor;
      const cases: [string, string][] = [
        ['limit=0', 'querystring.limit'],
        ['limit=501', 'querystring.limit'],
        ['limit=ten', 'querystring.limit'],
        ['cursor=not-a-cursor', 'querystring.cursor'],
        [`cursor=${Buffer.from('asc:-1').toString('base64url')}`, 'querystring.cursor'],
        [`order=desc&cursor=${asc}`, 'querystring.cursor'],
        ['order=sideways', 'querystring.order'],
        ['from=yesterday', 'querystring.from'],
        ['to=2026-13-45', 'querystring.to'],
        ['agent=agt_nope', 'querystring.agent'],
        ['tool=has%20space', 'querystring.tool'],
        ['tool=a*b', 'querystring.tool'],
        ['type=Decision', 'querystring.type'],
        ['type=decision*', 'querystring.type'],
        ['rule=%25', 'querystring.rule'],
        ['rule=a%22b', 'querystring.rule'],
        ['task=%2F%2F', 'querystring.task'],
        ['colour=blue', 'querystring.colour'],
      ];
      for (const [query, field] of cases) {
        const res = await call('GET', `/v1/audit/events?${query}`, t.adminToken);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.details.field, query).toBe(field);
      }
    });

    it('is for admins and auditors only', async () => {
      expect((await call('GET', '/v1/audit/events', auditor)).statusCode).toBe(200);
      for (const token of [security, owner, viewer]) {
        const res = await call('GET', '/v1/audit/events', token);
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('forbidden');
      }
      expect((await call('GET', '/v1/audit/events')).statusCode).toBe(401);
      expect((await call('GET', '/v1/audit/events', reviewer.key)).statusCode).toBe(403);
    });

    it('shows another tenant only its own events', async () => {
      const theirs = await listAll('', other.adminToken);
      expect(theirs.length).toBeGreaterThan(0);
      const ours = new Set(all.map((e) => e.id));
      expect(theirs.some((e) => ours.has(e.id))).toBe(false);
      expect(all.some((e) => e.tool === 'github.repos.read' && e.payload?.args)).toBe(true);
      expect(all.some((e) => JSON.stringify(e.payload).includes('other/repo'))).toBe(false);
    });
  });

  describe('checkpoints and proofs', () => {
    it('returns the latest signed checkpoint, which verifies with its verifier key', async () => {
      await t.node.auditTrail.checkpointer.run();
      const checkpoint = await latest(viewer);
      const state = await t.node.storage.db
        .selectFrom('audit_log_state')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow();
      expect(checkpoint).toMatchObject({
        origin: `warden/${tenantId}`,
        size: state.size,
        root: state.root,
        time: expect.any(String),
        verifierKey: t.node.auditTrail.signingKey.verifierKey,
      });
      const signed = opened(checkpoint.note, checkpoint.verifierKey);
      expect(signed.size).toBe(checkpoint.size);
      expect(signed.root.toString('base64')).toBe(checkpoint.root);
      // The root is that of every leaf, recomputed from scratch.
      expect(merkleRoot(all.slice(0, checkpoint.size).map((e) => b64(e.leafHash))).toString('base64')).toBe(
        checkpoint.root,
      );
    });

    it('answers 404 while a tenant has no checkpoint', async () => {
      const third = await createOtherTenant(t.node, 'third', 'Third Ltd');
      const res = await call('GET', '/v1/audit/checkpoints/latest', third.adminToken);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    });

    it('proves inclusion of an event in the latest checkpoint, signing one when none covers it', async () => {
      // A new event no checkpoint covers yet: the proof endpoint signs one first.
      const decisionId = await decide(reviewer.key, { tool: 'github.pulls.read', args: { pull: 9 } });
      const [event] = await listAll(`tool=github.pulls.read`);
      expect(event?.subject.id).toBe(decisionId);
      const res = await call('GET', `/v1/audit/proof/inclusion?event=${event?.id}`, viewer);
      expect(res.statusCode, res.body).toBe(200);
      const proof = res.json();
      const checkpoint = await latest();
      expect(proof).toMatchObject({
        event: event?.id,
        seq: event?.seq,
        leafHash: event?.leafHash,
        size: checkpoint.size,
        root: checkpoint.root,
        checkpoint: checkpoint.note,
      });
      expect(proof.size).toBeGreaterThan(event?.seq ?? Number.POSITIVE_INFINITY);
      const signed = opened(checkpoint.note, checkpoint.verifierKey);
      expect(
        verifyInclusion(b64(proof.leafHash), proof.seq, proof.size, proof.proof.map(b64), signed.root),
      ).toBe(true);
      // A wrong position does not verify.
      expect(
        verifyInclusion(b64(proof.leafHash), proof.seq + 1, proof.size, proof.proof.map(b64), signed.root),
      ).toBe(false);
    });

    it('proves inclusion at any size up to the log, against the root of that size', async () => {
      const leaves = all.map((e) => b64(e.leafHash));
      const target = all[3] as EventJson;
      for (const size of [4, 5, 9, all.length]) {
        const res = await call('GET', `/v1/audit/proof/inclusion?event=${target.id}&size=${size}`, viewer);
        expect(res.statusCode, res.body).toBe(200);
        const proof = res.json();
        const root = merkleRoot(leaves.slice(0, size));
        expect(proof.root).toBe(root.toString('base64'));
        expect(verifyInclusion(leaves[3] as Buffer, 3, size, proof.proof.map(b64), root)).toBe(true);
      }
    });

    it('proves that an older checkpoint is a prefix of a newer one', async () => {
      const before = await latest();
      await decide(support.key, { tool: 'kb.articles.read', args: { id: 'kb-1' } });
      await decide(support.key, { tool: 'helpdesk.tickets.read', args: { id: 'T-9' } });
      await t.node.auditTrail.checkpointer.run();
      const after = await latest();
      expect(after.size).toBe(before.size + 2);
      const res = await call(
        'GET',
        `/v1/audit/proof/consistency?from=${before.size}&to=${after.size}`,
        viewer,
      );
      expect(res.statusCode, res.body).toBe(200);
      const proof = res.json();
      expect(proof).toMatchObject({ from: before.size, to: after.size });
      const oldRoot = opened(before.note, before.verifierKey).root;
      const newRoot = opened(after.note, after.verifierKey).root;
      expect(verifyConsistency(before.size, after.size, oldRoot, newRoot, proof.proof.map(b64))).toBe(true);
      expect(verifyConsistency(before.size, after.size, newRoot, oldRoot, proof.proof.map(b64))).toBe(false);
      const same = await call(
        'GET',
        `/v1/audit/proof/consistency?from=${after.size}&to=${after.size}`,
        viewer,
      );
      expect(same.json().proof).toEqual([]);
    });

    it('answers bad proof requests with 400 naming the field, and unknown events with 404', async () => {
      const size = (
        await t.node.storage.db
          .selectFrom('audit_log_state')
          .select('size')
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).size;
      const event = all[5] as EventJson;
      const cases: [string, string][] = [
        ['/v1/audit/proof/inclusion', 'querystring.event'],
        ['/v1/audit/proof/inclusion?event=evt_nope', 'querystring.event'],
        [`/v1/audit/proof/inclusion?event=${event.id}&size=0`, 'querystring.size'],
        [`/v1/audit/proof/inclusion?event=${event.id}&size=5`, 'querystring.size'],
        [`/v1/audit/proof/inclusion?event=${event.id}&size=${size + 1}`, 'querystring.size'],
        [`/v1/audit/proof/inclusion?event=${event.id}&size=many`, 'querystring.size'],
        ['/v1/audit/proof/consistency?from=1', 'querystring.to'],
        ['/v1/audit/proof/consistency?from=-1&to=2', 'querystring.from'],
        ['/v1/audit/proof/consistency?from=3&to=2', 'querystring.from'],
        [`/v1/audit/proof/consistency?from=1&to=${size + 1}`, 'querystring.to'],
      ];
      for (const [url, field] of cases) {
        const res = await call('GET', url, t.adminToken);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error.details.field, url).toBe(field);
      }
      const unknown = `evt_${'0'.repeat(26)}`;
      const res = await call('GET', `/v1/audit/proof/inclusion?event=${unknown}`, t.adminToken);
      expect(res.statusCode).toBe(404);
    });

    it("does not prove another tenant's events: their ids are unknown here", async () => {
      const [theirs] = await listAll('', other.adminToken);
      const res = await call('GET', `/v1/audit/proof/inclusion?event=${theirs?.id}`, t.adminToken);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    });

    it('is open to every human of the tenant but no agent, and needs a credential', async () => {
      const event = all[0] as EventJson;
      const urls = [
        '/v1/audit/checkpoints/latest',
        `/v1/audit/proof/inclusion?event=${event.id}`,
        '/v1/audit/proof/consistency?from=1&to=2',
        '/v1/audit/retention',
      ];
      for (const url of urls) {
        for (const token of [viewer, owner, security, auditor])
          expect((await call('GET', url, token)).statusCode, url).toBe(200);
        expect((await call('GET', url)).statusCode, url).toBe(401);
        const agent = await call('GET', url, reviewer.key);
        expect(agent.statusCode, url).toBe(403);
        expect(agent.json().error.code).toBe('forbidden');
      }
    });
  });

  describe('GET /v1/audit/export', () => {
    it('exports the whole log as JSONL that recomputes to the signed roots', async () => {
      // An event no checkpoint covers: the export signs one before it starts.
      await decide(support.key, { tool: 'kb.articles.search', args: { query: 'shipping times' } });
      const res = await call('GET', '/v1/audit/export?format=jsonl', auditor);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect(res.headers['content-disposition']).toMatch(
        new RegExp(`^attachment; filename="warden-audit-${tenantId}-[0-9T-]+Z\\.jsonl"$`),
      );
      const verified = verifyExport(res.body, t.node.auditTrail.signingKey.verifierKey);
      const size = (await listAll('')).length;
      expect(verified.header).toMatchObject({
        tenant: tenantId,
        origin: `warden/${tenantId}`,
        from: null,
        to: null,
        begin: 0,
        end: size,
        prefix: [],
      });
      expect(verified.suffix).toEqual({ kind: 'suffix', size, hashes: [] });
      // Every checkpoint of the log is in it, and each inner one matched the rebuilt tree.
      expect(verified.checkedInside).toBe(verified.checkpoints.length);
      const report = await verdictOf(
        res.body,
        t.node.auditTrail.signingKey.verifierKey,
        t.node.config.auditAnchorDir,
      );
      expect(report).toMatchObject({ verdict: 'verified', size, events: size, failures: [] });
      const refund = verified.events.find((l) => l.event.tool === 'payments.refund');
      expect(refund.payload).toMatchObject({ args: { amount: 700 } });
      expect(refund.event.payload.$sealed).toBeDefined();
    });

    it('exports a time range with the prefix and suffix that tie it to the signed roots', async () => {
      const events = await listAll('');
      // From the first decision (well after the tenant's bootstrap) to a few events before the end.
      const from = events.find((e) => e.type.startsWith('decision.'))?.time ?? '';
      const to = (events[events.length - 3] as EventJson).time;
      const res = await call('GET', `/v1/audit/export?format=jsonl&from=${from}&to=${to}`, t.adminToken);
      expect(res.statusCode, res.body).toBe(200);
      const {
        header,
        events: lines,
        suffix,
      } = verifyExport(res.body, t.node.auditTrail.signingKey.verifierKey);
      const begin = events.findIndex((e) => e.time >= from);
      const end = events.findLastIndex((e) => e.time < to) + 1;
      expect(header).toMatchObject({ from, to, begin, end });
      expect(begin).toBeGreaterThan(0);
      expect(header.prefix.length).toBeGreaterThan(0);
      expect(suffix.size).toBeGreaterThanOrEqual(end);
      expect(lines.map((l) => l.event.id)).toEqual(events.slice(begin, end).map((e) => e.id));
      const report = await verdictOf(
        res.body,
        t.node.auditTrail.signingKey.verifierKey,
        t.node.config.auditAnchorDir,
      );
      expect(report).toMatchObject({ verdict: 'verified', events: end - begin, failures: [] });
    });

    it('exports CSV with a header and one RFC 4180 row per event', async () => {
      const events = await listAll('');
      const res = await call('GET', '/v1/audit/export?format=csv', auditor);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/\.csv"$/);
      const rows = res.body.split('\r\n');
      expect(rows.pop()).toBe('');
      expect(rows[0]).toBe(
        'seq,id,time,type,actor_type,actor_id,on_behalf_of,agent_id,subject_type,subject_id,task_id,tool,effect,outcome,rules,redactions,payload',
      );
      expect(rows).toHaveLength(events.length + 1);
      const refundIndex = events.findIndex((e) => e.tool === 'payments.refund');
      const refundRow = rows[refundIndex + 1] ?? '';
      expect(refundRow.startsWith(`${refundIndex},${events[refundIndex]?.id},`)).toBe(true);
      // JSON cells hold commas and quotes: quoted, with quotes doubled.
      expect(refundRow).toContain('"{""args"":{""amount"":700}');
      expect(refundRow).toContain(',alice@example.com,');
    });

    it('checks its parameters and is for admins and auditors only', async () => {
      const cases: [string, string][] = [
        ['', 'querystring.format'],
        ['format=xml', 'querystring.format'],
        ['format=csv&from=soon', 'querystring.from'],
        ['format=jsonl&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'querystring.to'],
      ];
      for (const [query, field] of cases) {
        const res = await call('GET', `/v1/audit/export?${query}`, t.adminToken);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.details.field).toBe(field);
      }
      for (const token of [security, owner, viewer])
        expect((await call('GET', '/v1/audit/export?format=csv', token)).statusCode).toBe(403);
      expect((await call('GET', '/v1/audit/export?format=csv')).statusCode).toBe(401);
      expect((await call('GET', '/v1/audit/export?format=csv', support.key)).statusCode).toBe(403);
    });
  });

  describe('POST /v1/audit/shred', () => {
    it('shreds a data subject: its sealed values read as [shredded], and only the key id is logged', async () => {
      const [before] = await listAll('tool=crm.contacts.read');
      expect(before?.payload).toMatchObject({ args: { customer_id: 'cust-42' } });
      const stored = await t.node.storage.db
        .selectFrom('audit_events')
        .select('body')
        .where('id', '=', before?.id ?? '')
        .executeTakeFirstOrThrow();
      expect(stored.body).not.toContain('cust-42');

      const res = await call('POST', '/v1/audit/shred', security, { subject: 'cust-42' });
      expect(res.statusCode, res.body).toBe(200);
      const { keyId, destroyed } = res.json();
      expect(keyId).toMatch(/^sub:[0-9a-f]{32}$/);
      expect(destroyed).toBe(true);

      const [after] = await listAll('tool=crm.contacts.read');
      expect(after?.payload).toMatchObject({ args: { customer_id: '[shredded]' } });
      expect(after?.shredded).toBe(false);
      expect(after?.leafHash).toBe(before?.leafHash);

      const [shred] = await listAll('type=audit.shred');
      expect(shred).toMatchObject({
        actor: { type: 'human' },
        subject: { type: 'data_subject', id: keyId },
        payload: { keyId, destroyed: true },
      });
      const body = await t.node.storage.db
        .selectFrom('audit_events')
        .select('body')
        .where('id', '=', shred?.id ?? '')
        .executeTakeFirstOrThrow();
      expect(body.body).not.toContain('cust-42');

      // Again: nothing left to destroy, still answered and audited.
      const again = await call('POST', '/v1/audit/shred', t.adminToken, { subject: 'cust-42' });
      expect(again.json()).toEqual({ keyId, destroyed: false });
      expect(await listAll('type=audit.shred')).toHaveLength(2);

      // The export still verifies: shredding changes no hash.
      const exported = await call('GET', '/v1/audit/export?format=jsonl', t.adminToken);
      const { events } = verifyExport(exported.body, t.node.auditTrail.signingKey.verifierKey);
      const line = events.find((l) => l.event.id === before?.id);
      expect(line.payload.args.customer_id).toBe('[shredded]');
    });

    it('answers 404 for a subject nothing was sealed for, and checks the body', async () => {
      const res = await call('POST', '/v1/audit/shred', t.adminToken, { subject: 'never-seen' });
      expect(res.statusCode).toBe(404);
      for (const [payload, field] of [
        [{}, 'body.subject'],
        [{ subject: '' }, 'body.subject'],
        [{ subject: 'x', extra: 1 }, 'body.extra'],
      ] as const) {
        const bad = await call('POST', '/v1/audit/shred', t.adminToken, payload);
        expect(bad.statusCode).toBe(400);
        expect(bad.json().error.details.field).toBe(field);
      }
    });

    it("is for admins and security only, and cannot reach another tenant's subject", async () => {
      for (const token of [auditor, owner, viewer])
        expect((await call('POST', '/v1/audit/shred', token, { subject: 'cust-42' })).statusCode).toBe(403);
      expect((await call('POST', '/v1/audit/shred', undefined, { subject: 'cust-42' })).statusCode).toBe(401);
      expect((await call('POST', '/v1/audit/shred', support.key, { subject: 'cust-42' })).statusCode).toBe(
        403,
      );
      // The subject key is per tenant: the other tenant has none for this subject.
      const theirs = await call('POST', '/v1/audit/shred', other.adminToken, { subject: 'cust-42' });
      expect(theirs.statusCode).toBe(404);
    });
  });

  describe('retention', () => {
    it('reads and changes the retention period; the change is audited with old and new', async () => {
      const read = await call('GET', '/v1/audit/retention', viewer);
      expect(read.json()).toEqual({ days: 2557 });
      const res = await call('PUT', '/v1/audit/retention', t.adminToken, { days: 400 });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ days: 400 });
      expect((await call('GET', '/v1/audit/retention', auditor)).json()).toEqual({ days: 400 });
      const [update] = await listAll('type=audit.retention.update');
      expect(update).toMatchObject({
        actor: { type: 'human' },
        subject: { type: 'tenant', id: tenantId },
        payload: { oldDays: 2557, newDays: 400 },
      });
    });

    it('checks the period and lets only admins change it', async () => {
      for (const days of [0, 36_501, 1.5, '30'])
        expect(
          (await call('PUT', '/v1/audit/retention', t.adminToken, { days })).json().error.details.field,
        ).toBe('body.days');
      for (const token of [security, auditor, owner])
        expect((await call('PUT', '/v1/audit/retention', token, { days: 30 })).statusCode).toBe(403);
      expect((await call('PUT', '/v1/audit/retention', reviewer.key, { days: 30 })).statusCode).toBe(403);
      expect((await call('PUT', '/v1/audit/retention', undefined, { days: 30 })).statusCode).toBe(401);
    });

    it('destroys the keys of months past retention: payloads read as null, the log still verifies', async () => {
      // The other tenant, so the default tenant's payloads stay for the tests above.
      expect((await call('PUT', '/v1/audit/retention', other.adminToken, { days: 1 })).statusCode).toBe(200);
      const before = await listAll('', other.adminToken);
      expect(before.every((e) => e.payload !== null)).toBe(true);
      const deps = { storage: t.node.storage, auditTrail: t.node.auditTrail, signals: t.node.signals };

      // Not yet: the current month has not ended a day ago.
      expect(await enforceRetention(deps, Date.now(), other.tenantId)).toEqual([]);

      const future = Date.now() + 40 * DAY_MS;
      const results = await enforceRetention(deps, future, other.tenantId);
      expect(results).toHaveLength(1);
      expect(results[0]?.tenantId).toBe(other.tenantId);
      const month = (ms: number) => `ret:${new Date(ms).toISOString().slice(0, 7)}`;
      expect(results[0]?.keyIds).toContain(month(Date.now()));
      expect(await enforceRetention(deps, future, other.tenantId)).toEqual([]);

      const after = await listAll('', other.adminToken);
      const old = after.slice(0, before.length);
      expect(old.every((e) => e.payload === null && e.shredded)).toBe(true);
      expect(old.map((e) => e.leafHash)).toEqual(before.map((e) => e.leafHash));
      const [retention] = after.filter((e) => e.type === 'audit.retention');
      expect(retention).toMatchObject({
        actor: { type: 'system', id: 'retention' },
        subject: { type: 'tenant', id: other.tenantId },
        payload: { keyIds: results[0]?.keyIds, retentionDays: 1 },
      });

      // The default tenant keeps its payloads.
      expect((await listAll('tool=payments.refund'))[0]?.payload).not.toBeNull();

      const exported = await call('GET', '/v1/audit/export?format=jsonl', other.adminToken);
      expect(exported.statusCode).toBe(200);
      const { events } = verifyExport(exported.body, t.node.auditTrail.signingKey.verifierKey);
      expect(events.slice(0, before.length).every((l) => l.payload === null)).toBe(true);
      const report = await verdictOf(
        exported.body,
        t.node.auditTrail.signingKey.verifierKey,
        t.node.config.auditAnchorDir,
      );
      expect(report.verdict).toBe('verified');
      const csv = await call('GET', '/v1/audit/export?format=csv', other.adminToken);
      expect(csv.body.split('\r\n')[1]?.endsWith(',[shredded]')).toBe(true);
    });

    it('runs as a job at start and on its interval, for every tenant, until stopped', async () => {
      // Later still: the other tenant's key of the month 40 days ahead (its last retention event) is
      // past its 1 day too; the default tenant's 400 days are not over.
      const job = retentionJob({
        storage: t.node.storage,
        auditTrail: t.node.auditTrail,
        signals: t.node.signals,
        clock: () => Date.now() + 80 * DAY_MS,
        log: t.node.app.log,
        intervalMs: 60_000,
      });
      job.start();
      try {
        await vi.waitFor(async () =>
          expect(await listAll('type=audit.retention', other.adminToken)).toHaveLength(2),
        );
      } finally {
        await job.stop();
      }
      const [, second] = await listAll('type=audit.retention', other.adminToken);
      const month = `ret:${new Date(Date.now() + 40 * DAY_MS).toISOString().slice(0, 7)}`;
      expect(second?.payload).toEqual({ keyIds: [month], retentionDays: 1 });
      expect(await listAll('type=audit.retention')).toEqual([]);
    });
  });
});
