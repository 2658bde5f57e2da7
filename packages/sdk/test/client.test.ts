import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../server/test/helpers/api.js';
import { Warden, WardenDenied, WardenInputError, WardenRequestError } from '../src/index.js';
import {
  deadUrl,
  latestPendingApproval,
  type SdkNode,
  startProxy,
  startSdkNode,
} from './helpers/warden-node.js';

/** Outcome and context as a human reads them back: GET /v1/decisions/:id. */
async function decisionOf(node: SdkNode, id: string) {
  const res = await request(node.t.node, 'GET', `/v1/decisions/${id}`, node.t.adminToken);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().decision;
}

describe('@warden/sdk against a real node', () => {
  let node: SdkNode;
  let warden: Warden;

  beforeAll(async () => {
    node = await startSdkNode();
    warden = new Warden({ url: node.url, agentKey: node.key });
  });
  afterAll(() => node?.close());

  describe('decide and guard', () => {
    it('runs an allowed call and reports its outcome with duration and cost', async () => {
      const decisions: string[] = [];
      const lookup = warden.guard(
        'orders.lookup',
        async (input: { orderId: string }) => {
          await new Promise((resolve) => setTimeout(resolve, 15));
          return { orderId: input.orderId, status: 'shipped', cents: 1200 };
        },
        { costOf: () => ({ usd: 0.002, records: 1 }), outputOf: (r) => ({ status: r.status }) },
      );
      const result = await lookup({ orderId: 'o-1' });
      expect(result.status).toBe('shipped');

      const answer = await warden.decide({ tool: 'orders.lookup', args: { orderId: 'o-2' } });
      expect(answer).toMatchObject({ effect: 'allow', code: 'rule', decidingRule: 'lookups-allowed' });
      decisions.push(answer.decisionId);
      const recorded = await warden.reportOutcome(answer.decisionId, { status: 'succeeded', durationMs: 3 });
      expect(recorded).toMatchObject({
        decisionId: answer.decisionId,
        status: 'succeeded',
        violation: false,
      });

      const events = await request(
        node.t.node,
        'GET',
        `/v1/audit/events?type=decision.outcome&agent=${node.agentId}&order=asc`,
        node.t.adminToken,
      );
      const first = events.json().events[0];
      const stored = await decisionOf(node, first.subject.id);
      expect(stored.outcome).toMatchObject({ status: 'succeeded', costUsd: 0.002, records: 1 });
      expect(stored.outcome.durationMs).toBeGreaterThanOrEqual(10);
    });

    it('reports a failed call with its error and rethrows it', async () => {
      const failing = warden.guard('orders.lookup', async (_input: { orderId: string }) => {
        throw new Error('order service timed out');
      });
      await expect(failing({ orderId: 'o-3' })).rejects.toThrow('order service timed out');
      const events = await request(
        node.t.node,
        'GET',
        `/v1/audit/events?type=decision.outcome&agent=${node.agentId}&order=desc&limit=1`,
        node.t.adminToken,
      );
      const stored = await decisionOf(node, events.json().events[0].subject.id);
      expect(stored.outcome).toMatchObject({ status: 'failed', error: 'order service timed out' });
    });

    it('throws WardenDenied with the code and reason of a deny, and never runs the call', async () => {
      let ran = 0;
      const remove = warden.guard('orders.delete', async (_input: { orderId: string }) => ++ran);
      const denied = await remove({ orderId: 'o-1' }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(WardenDenied);
      expect(denied).toMatchObject({
        code: 'rule',
        reason: 'Agents never delete orders',
        approvalId: undefined,
      });
      expect((denied as WardenDenied).decision?.decidingRule).toBe('delete-denied');

      const unknown = await warden
        .guard('crm.export', async () => ++ran)()
        .catch((e: unknown) => e);
      expect(unknown).toMatchObject({ name: 'WardenDenied', code: 'no_grant' });
      expect(ran).toBe(0);
    });

    it('carries the task context through awaits, and nests tasks as children', async () => {
      const lookup = warden.guard('orders.lookup', async (_i: { orderId: string }) => 'ok');
      await warden.task(
        { taskId: 'ticket-4711', initiator: 'usr-alice', onBehalfOf: 'customer-99', interface: 'chat' },
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await lookup({ orderId: 'o-9' });
          await warden.task({ taskId: 'ticket-4711-sub' }, () => lookup({ orderId: 'o-10' }));
        },
      );
      const trace = await request(node.t.node, 'GET', '/v1/tasks/ticket-4711/trace', node.t.adminToken);
      expect(trace.statusCode, trace.body).toBe(200);
      expect(trace.json().task).toMatchObject({
        initiator: 'usr-alice',
        onBehalfOf: 'customer-99',
        interface: 'chat',
      });
      expect(trace.json().childTasks ?? trace.json().children).toContain('ticket-4711-sub');
      const sub = await request(node.t.node, 'GET', '/v1/tasks/ticket-4711-sub/trace', node.t.adminToken);
      expect(sub.json().task).toMatchObject({ parentTaskId: 'ticket-4711', onBehalfOf: 'customer-99' });
    });

    it('runs a post-mode review at once (it is reviewed afterwards)', async () => {
      const close = warden.guard('tickets.close', async (_i: { ticket: string }) => 'closed');
      expect(await close({ ticket: 't-1' })).toBe('closed');
    });
  });

  describe('reviews', () => {
    it('waits for a human, then uses the approval and runs the call once', async () => {
      let runs = 0;
      const refund = warden.guard('payments.refund', async (input: { amount: number; order: string }) => {
        runs++;
        return `refunded ${input.amount}`;
      });
      const pending = refund({ amount: 700, order: 'o-77' });
      const approvalId = await latestPendingApproval(node, node.agentId);
      expect(runs).toBe(0);
      await node.vote(approvalId, 'approve', 'fine');
      expect(await pending).toBe('refunded 700');
      expect(runs).toBe(1);
      const approval = await request(node.t.node, 'GET', `/v1/approvals/${approvalId}`, node.lead.token);
      expect(approval.json()).toMatchObject({ status: 'approved' });
      expect(approval.json().consumedAt).not.toBeNull();
    });

    it('throws WardenDenied with the approval id when the human denies', async () => {
      const refund = warden.guard('payments.refund', async (_i: { amount: number; order: string }) => 'no');
      const pending = refund({ amount: 900, order: 'o-78' }).catch((e: unknown) => e);
      const approvalId = await latestPendingApproval(node, node.agentId);
      await node.vote(approvalId, 'deny', 'not this one');
      const denied = await pending;
      expect(denied).toBeInstanceOf(WardenDenied);
      expect(denied).toMatchObject({ code: 'approval_denied', approvalId });
      expect((denied as WardenDenied).reason).toContain('not this one');
    });

    it('waitForApproval follows the event stream, and long-polls when a proxy refuses the stream', async () => {
      const first = await warden.decide({ tool: 'payments.refund', args: { amount: 800, order: 'o-80' } });
      const id = first.approvalRequest?.id as string;
      const viaEvents = warden.waitForApproval(id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await node.vote(id, 'approve');
      expect(await viaEvents).toMatchObject({ id, status: 'approved', kind: 'action' });

      const proxy = await startProxy(node.url, {
        failures: 100,
        status: 502,
        body: '<html>Bad Gateway</html>',
        matches: (_method, url) => url.endsWith('/events'),
      });
      try {
        const second = await warden.decide({ tool: 'payments.refund', args: { amount: 801, order: 'o-81' } });
        const id2 = second.approvalRequest?.id as string;
        const viaPoll = warden.withKey(node.key);
        const polled = new Warden({ url: proxy.url, agentKey: node.key }).waitForApproval(id2);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await node.vote(id2, 'deny');
        expect(await polled).toMatchObject({ id: id2, status: 'denied' });
        expect(proxy.refused()).toBe(1);
        expect(viaPoll).toBeInstanceOf(Warden);
      } finally {
        await proxy.close();
      }
    });

    it("refuses to wait for another agent's request (Warden's 404, not a fallback)", async () => {
      const first = await warden.decide({ tool: 'payments.refund', args: { amount: 805, order: 'o-85' } });
      const other = await node.newAgent();
      const stranger = new Warden({ url: node.url, agentKey: other.key });
      const refused = await stranger
        .waitForApproval(first.approvalRequest?.id as string)
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WardenRequestError);
      expect(refused).toMatchObject({ status: 404, code: 'not_found' });
    });

    it('stops waiting when the signal aborts, and when approvalTimeoutMs passes', async () => {
      const first = await warden.decide({ tool: 'payments.refund', args: { amount: 810, order: 'o-82' } });
      const controller = new AbortController();
      const waiting = warden.waitForApproval(first.approvalRequest?.id as string, {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(new Error('user left')), 50);
      await expect(waiting).rejects.toThrow('user left');

      const refund = warden.guard(
        'payments.refund',
        async (_i: { amount: number; order: string }) => 'never',
        {
          approvalTimeoutMs: 100,
        },
      );
      const timedOut = await refund({ amount: 820, order: 'o-83' }).catch((e: unknown) => e);
      expect(timedOut).toMatchObject({ name: 'WardenDenied', code: 'approval_pending' });
      expect((timedOut as WardenDenied).approvalId).toMatch(/^apr_/);
    });
  });

  describe('access requests and spawn', () => {
    it('asks for access; once the owner and security approve, the tool is allowed by the grant', async () => {
      const agent = await node.newAgent();
      const client = new Warden({ url: node.url, agentKey: agent.key });
      expect((await client.decide({ tool: 'crm.contacts.update' })).code).toBe('no_grant');
      const asked = await client.requestAccess({
        tools: ['crm.contacts.*'],
        justification: 'keeps contact details up to date',
        durationSeconds: 3600,
      });
      expect(asked).toMatchObject({ status: 'pending', links: { wait: `/v1/approvals/${asked.id}/wait` } });
      const settled = client.waitForApproval(asked.id);
      await node.t.node.app.inject({
        method: 'POST',
        url: `/v1/approvals/${asked.id}/approve`,
        headers: { authorization: `Bearer ${node.owner.token}` },
      });
      const second = await request(
        node.t.node,
        'POST',
        `/v1/approvals/${asked.id}/approve`,
        node.security.token,
      );
      expect(second.statusCode, second.body).toBe(200);
      expect(await settled).toMatchObject({ status: 'approved', kind: 'access' });
      const granted = await client.decide({ tool: 'crm.contacts.update' });
      expect(granted).toMatchObject({ effect: 'allow', code: 'grant' });
    });

    it('spawns a sub-agent whose key decides as itself, within the parent', async () => {
      const spawned = await warden.spawn({
        name: `summarizer-${Date.now()}`,
        purpose: 'Summarises long ticket threads',
        roles: ['sdk-agent'],
      });
      expect(spawned.agent).toMatchObject({ parentId: node.agentId, status: 'active', tier: 'sandbox' });
      const child = warden.withKey(spawned.secret);
      const answer = await child.decide({ tool: 'orders.lookup', args: { orderId: 'o-1' } });
      expect(answer).toMatchObject({ effect: 'allow', agentId: spawned.agent.id });

      const refused = await warden
        .spawn({ name: `x-${Date.now()}`, purpose: 'p', roles: ['admin-ish'] })
        .catch((e) => e);
      expect(refused).toBeInstanceOf(WardenRequestError);
      expect(refused).toMatchObject({ status: 403 });
    });
  });

  describe('failing closed', () => {
    it('denies with governance_unavailable when Warden cannot be reached, unless the caller opts in', async () => {
      const url = await deadUrl();
      let ran = 0;
      const down = new Warden({ url, agentKey: node.key, retry: { attempts: 3, baseDelayMs: 5 } });
      const denied = await down
        .guard(
          'orders.lookup',
          async (_input: object) => ++ran,
        )({ orderId: 'o' })
        .catch((e) => e);
      expect(denied).toBeInstanceOf(WardenDenied);
      expect(denied).toMatchObject({ code: 'governance_unavailable', noAnswer: true });
      expect(ran).toBe(0);

      const open = new Warden({ url, agentKey: node.key, retry: { attempts: 1 }, onUnavailable: 'allow' });
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      try {
        expect(await open.guard('orders.lookup', async (_input: object) => ++ran)({ orderId: 'o' })).toBe(1);
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.join('\n')).toContain('orders.lookup runs ungoverned');
      } finally {
        process.off('warning', onWarning);
      }

      const perTool = new Warden({
        url,
        agentKey: node.key,
        retry: { attempts: 1 },
        onUnavailable: ({ tool }) => (tool === 'weather.current' ? 'allow' : 'deny'),
      });
      await expect(
        perTool.guard('payments.refund', async (_input: object) => ++ran)({ amount: 1 }),
      ).rejects.toMatchObject({
        code: 'governance_unavailable',
      });
      expect(ran).toBe(1);
    });

    it('retries a 503 with backoff and goes on once Warden answers', async () => {
      const proxy = await startProxy(node.url, {
        failures: 2,
        status: 503,
        matches: (method, url) => method === 'POST' && url === '/v1/decide',
      });
      try {
        const client = new Warden({ url: proxy.url, agentKey: node.key, retry: { baseDelayMs: 5 } });
        const lookup = client.guard('orders.lookup', async (_i: { orderId: string }) => 'found');
        expect(await lookup({ orderId: 'o-503' })).toBe('found');
        expect(proxy.refused()).toBe(2);
      } finally {
        await proxy.close();
      }
    });

    it('a 503 that lasts past the budget is a deny, even for a caller that allows when unreachable', async () => {
      const proxy = await startProxy(node.url, { failures: 1_000, status: 503 });
      try {
        let ran = 0;
        const client = new Warden({
          url: proxy.url,
          agentKey: node.key,
          retry: { attempts: 3, baseDelayMs: 5 },
          onUnavailable: 'allow',
        });
        const denied = await client
          .guard(
            'orders.lookup',
            async (_input: object) => ++ran,
          )({})
          .catch((e) => e);
        expect(denied).toMatchObject({
          name: 'WardenUnreachable',
          code: 'governance_unavailable',
          noAnswer: false,
        });
        expect(proxy.refused()).toBe(3);
        expect(ran).toBe(0);
      } finally {
        await proxy.close();
      }
    });

    it('never turns a Warden error answer into an allow', async () => {
      let ran = 0;
      const stranger = new Warden({
        url: node.url,
        agentKey: 'wdn_a_unknownkey0000000000000000',
        onUnavailable: 'allow',
      });
      const unauthenticated = await stranger
        .guard(
          'orders.lookup',
          async (_input: object) => ++ran,
        )({})
        .catch((e) => e);
      expect(unauthenticated).toBeInstanceOf(WardenRequestError);
      expect(unauthenticated).toMatchObject({ status: 401, code: 'unauthenticated' });

      const other = await node.newAgent();
      await new Warden({ url: node.url, agentKey: other.key }).decide({
        tool: 'orders.lookup',
        context: { taskId: 'someone-elses-task' },
      });
      const conflict = await warden
        .guard('orders.lookup', async () => ++ran, {
          context: { taskId: 'someone-elses-task' },
        })()
        .catch((e) => e);
      expect(conflict).toMatchObject({ name: 'WardenRequestError', status: 409 });
      expect(ran).toBe(0);
    });
  });

  describe('bad input, refused before the network', () => {
    let sent = 0;
    const counting: typeof fetch = (input, init) => {
      sent++;
      return fetch(input, init);
    };
    const client = () => new Warden({ url: node.url, agentKey: node.key, fetch: counting });

    it.each([
      ['an empty tool name', () => client().decide({ tool: '' }), 'tool'],
      ['a tool name with a newline', () => client().decide({ tool: 'a\nb' }), 'tool'],
      ['arguments that are not an object', () => client().decide({ tool: 't', args: [1] as never }), 'args'],
      ['a function in the arguments', () => client().decide({ tool: 't', args: { f: () => 1 } }), 'args.f'],
      ['a bigint in the arguments', () => client().decide({ tool: 't', args: { n: 1n } }), 'args.n'],
      [
        'NaN in the arguments',
        () => client().decide({ tool: 't', args: { list: [1, Number.NaN] } }),
        'args.list[1]',
      ],
      ['a Date in the arguments', () => client().decide({ tool: 't', args: { at: new Date() } }), 'args.at'],
      ['a negative estimate', () => client().decide({ tool: 't', estimate: { usd: -1 } }), 'estimate.usd'],
      [
        'fractional tokens',
        () => client().decide({ tool: 't', estimate: { tokens: 1.5 } }),
        'estimate.tokens',
      ],
      [
        'an unknown estimate unit',
        () => client().decide({ tool: 't', estimate: { eur: 1 } as never }),
        'estimate.eur',
      ],
      ['a bad approval id', () => client().decide({ tool: 't', approvalId: 'apr_nope' }), 'approvalId'],
      [
        'a bad task id',
        () => client().decide({ tool: 't', context: { taskId: 'has space' } }),
        'context.taskId',
      ],
      [
        'an unknown context field',
        () => client().decide({ tool: 't', context: { tenant: 'x' } as never }),
        'context.tenant',
      ],
      [
        'a bad environment',
        () => client().decide({ tool: 't', context: { environment: 'prod' as never } }),
        'context.environment',
      ],
      [
        'a signal of an unknown kind',
        () => client().decide({ tool: 't', context: { signals: { confidence: [0.5] as never } } }),
        'context.signals.confidence',
      ],
      [
        'a signal name that is not an identifier',
        () => client().decide({ tool: 't', context: { signals: { 'risk score': 1 } } }),
        'context.signals.risk score',
      ],
      [
        'too long a string signal',
        () => client().decide({ tool: 't', context: { signals: { note: 'x'.repeat(257) } } }),
        'context.signals.note',
      ],
      [
        'too many signals',
        () =>
          client().decide({
            tool: 't',
            context: { signals: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`s${i}`, 1])) },
          }),
        'context.signals',
      ],
      ['a bad decision id', () => client().reportOutcome('dec_1', { status: 'succeeded' }), 'decisionId'],
      [
        'a bad outcome status',
        () => client().reportOutcome('dec_01jd0000000000000000000000', { status: 'ok' as never }),
        'outcome.status',
      ],
      [
        'a negative duration',
        () => client().reportOutcome('dec_01jd0000000000000000000000', { status: 'failed', durationMs: -1 }),
        'outcome.durationMs',
      ],
      ['a bad approval id to wait for', () => client().waitForApproval('nope'), 'id'],
      [
        'no tools to ask for',
        () => client().requestAccess({ tools: [], justification: 'x', durationSeconds: 60 }),
        'tools',
      ],
      [
        'too short an access',
        () => client().requestAccess({ tools: ['a.b'], justification: 'x', durationSeconds: 5 }),
        'durationSeconds',
      ],
      ['a bad sub-agent name', () => client().spawn({ name: 'Bad Name', purpose: 'x' }), 'name'],
      ['a task without an id', () => client().task({} as never, () => 1), 'task.taskId'],
    ])('%s', async (_what, call, field) => {
      const before = sent;
      const error = await Promise.resolve()
        .then((): unknown => call())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WardenInputError);
      expect(error).toMatchObject({ field, code: 'invalid_input' });
      expect(sent).toBe(before);
    });

    it('refuses a circular argument, a bad URL, a human token and a bad guard', async () => {
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      await expect(client().decide({ tool: 't', args: loop })).rejects.toMatchObject({ field: 'args.self' });
      expect(() => new Warden({ url: 'ftp://x', agentKey: node.key })).toThrow(WardenInputError);
      expect(() => new Warden({ url: 'not a url', agentKey: node.key })).toThrow(/url/);
      expect(() => new Warden({ url: node.url, agentKey: node.t.adminToken })).toThrow(/human API token/);
      expect(() => client().guard('', async () => 1)).toThrow(WardenInputError);
      expect(() =>
        client().guard('t', async () => 1, { estimate: { usd: Number.POSITIVE_INFINITY } }),
      ).toThrow(/estimate.usd/);
      const guarded = client().guard('orders.lookup', async (_a: number, _b: () => void) => 1);
      await expect(guarded(1, () => {})).rejects.toMatchObject({ field: 'args.args[1]' });
      expect(sent).toBe(0);
    });
  });
});
