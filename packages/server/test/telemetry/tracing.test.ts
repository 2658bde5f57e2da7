import type { Client } from '@modelcontextprotocol/client';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createHuman, voteOk } from '../approvals/approvals-fixtures.js';
import { auditEventsOf } from '../helpers/api.js';
import { bearer, seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { decisionOf, type LlmBed, startLlmBed } from '../llm/llm-fixtures.js';
import { type HttpUpstream, REMOTE_POLICY, startHttpUpstream } from '../mcp/http-upstream.js';
import { connectAgent, serversYaml, textOf, writeGatewayFiles } from '../mcp/mcp-fixtures.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

const named = (exporter: InMemorySpanExporter, name: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((span) => span.name === name);

const only = (exporter: InMemorySpanExporter, name: string): ReadableSpan => {
  const spans = named(exporter, name);
  expect(spans.map((s) => s.name)).toEqual([name]);
  return spans[0] as ReadableSpan;
};

describe('traces of decisions (sqlite)', () => {
  const exporter = new InMemorySpanExporter();
  let t: TestNode;
  let support: Awaited<ReturnType<typeof seedAgent>>;
  const decide = (payload: object, headers: Record<string, string> = {}) =>
    t.node.app.inject({
      method: 'POST',
      url: '/v1/decide',
      headers: { ...bearer(support.key), ...headers },
      payload,
    });

  beforeAll(async () => {
    t = await startTestNode('sqlite', { traceExporter: exporter });
    support = await seedAgent(t.node, { roles: ['support-assistant'] });
  });
  afterAll(() => t.close());

  it('records an apply_guardrail span under the caller’s traceparent, and its ids on the audit event', async () => {
    exporter.reset();
    const res = await decide(
      { tool: 'payments.refund', args: { amount: 600 }, context: { taskId: 'ticket-1' } },
      { traceparent: TRACEPARENT, tracestate: 'vendor=abc' },
    );
    expect(res.statusCode).toBe(200);
    const decision = res.json();
    const span = only(exporter, 'apply_guardrail warden');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'apply_guardrail',
      'gen_ai.guardian.name': 'warden',
      'gen_ai.security.target.type': 'tool_call',
      'gen_ai.security.decision.type': 'warn',
      'gen_ai.security.decision.code': 'rule',
      'gen_ai.security.policy.id': 'support-refund-over-500-review',
      'gen_ai.security.policy.version': decision.policyVersion,
      'gen_ai.tool.name': 'payments.refund',
      'gen_ai.agent.id': support.agent.id,
      'warden.decision.id': decision.decisionId,
      'warden.decision.effect': 'review',
      'warden.decision.rule': 'support-refund-over-500-review',
      'warden.approval.id': decision.approvalRequest.id,
      'warden.task.id': 'ticket-1',
      'warden.source': 'http',
    });
    // Arguments stay out of spans unless the operator opts in.
    expect(span.attributes).not.toHaveProperty('gen_ai.tool.call.arguments');
    const [event] = await auditEventsOf(t.node, decision.decisionId);
    expect(event?.payload).toMatchObject({
      trace: { traceId: TRACE_ID, spanId: span.spanContext().spanId },
    });
  });

  it('ignores a malformed traceparent: the decision is answered, in a trace of its own', async () => {
    for (const traceparent of [
      'garbage',
      `00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN}-01`,
      `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-${CALLER_SPAN}-01`,
      `00-${TRACE_ID}-${CALLER_SPAN}-01-extra`,
      `00-${TRACE_ID}-${CALLER_SPAN}-01${' '.repeat(2000)}`,
    ]) {
      exporter.reset();
      const res = await decide({ tool: 'kb.articles.search', args: { query: 'x' } }, { traceparent });
      expect(res.statusCode, traceparent).toBe(200);
      const span = only(exporter, 'apply_guardrail warden');
      expect(span.parentSpanContext, traceparent).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(TRACE_ID);
      const [event] = await auditEventsOf(t.node, res.json().decisionId);
      expect(event?.payload).toMatchObject({ trace: { traceId: span.spanContext().traceId } });
    }
  });

  it('records a span of an agent’s wait for an approval', async () => {
    const res = await decide({ tool: 'payments.refund', args: { amount: 650 } });
    const approvalId = res.json().approvalRequest.id;
    exporter.reset();
    const wait = await t.node.app.inject({
      method: 'GET',
      url: `/v1/approvals/${approvalId}/wait?timeoutSeconds=0`,
      headers: { ...bearer(support.key), traceparent: TRACEPARENT },
    });
    expect(wait.statusCode).toBe(200);
    const span = only(exporter, 'approval_wait');
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(span.attributes).toMatchObject({
      'warden.approval.id': approvalId,
      'warden.approval.status': 'pending',
      'warden.approval.timed_out': true,
    });
  });
});

describe('trace ids without tracing, and content by opt-in (sqlite)', () => {
  it('keeps the caller’s ids on the audit event when the node records no span', async () => {
    const t = await startTestNode('sqlite');
    try {
      const agent = await seedAgent(t.node, { roles: ['support-assistant'] });
      const res = await t.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: { ...bearer(agent.key), traceparent: TRACEPARENT },
        payload: { tool: 'kb.articles.search', args: { query: 'x' } },
      });
      const [event] = await auditEventsOf(t.node, res.json().decisionId);
      expect(event?.payload).toMatchObject({ trace: { traceId: TRACE_ID, spanId: CALLER_SPAN } });
      const plain = await t.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: bearer(agent.key),
        payload: { tool: 'kb.articles.search', args: { query: 'y' } },
      });
      const [untraced] = await auditEventsOf(t.node, plain.json().decisionId);
      expect(untraced?.payload).not.toHaveProperty('trace');
    } finally {
      await t.close();
    }
  });

  it('puts the stored (redacted) arguments on the span with WARDEN_TRACE_CONTENT=on', async () => {
    const exporter = new InMemorySpanExporter();
    const t = await startTestNode('sqlite', {
      traceExporter: exporter,
      settings: { traceContent: 'on', auditRedactPaths: ['$.args.secret'] },
    });
    try {
      const agent = await seedAgent(t.node, { roles: ['support-assistant'] });
      await t.node.app.inject({
        method: 'POST',
        url: '/v1/decide',
        headers: bearer(agent.key),
        payload: { tool: 'kb.articles.search', args: { query: 'refunds', secret: 'hunter2' } },
      });
      const span = only(exporter, 'apply_guardrail warden');
      const args = JSON.parse(String(span.attributes['gen_ai.tool.call.arguments']));
      expect(args.query).toBe('refunds');
      expect(JSON.stringify(args)).not.toContain('hunter2');
    } finally {
      await t.close();
    }
  });
});

describe('traces of MCP gateway calls (sqlite)', () => {
  const exporter = new InMemorySpanExporter();
  let upstream: HttpUpstream;
  let t: TestNode;
  let client: Client;

  beforeAll(async () => {
    upstream = await startHttpUpstream('Bearer upstream-secret');
    process.env.REMOTE_MCP_TOKEN = 'Bearer upstream-secret';
    const files = await writeGatewayFiles(
      serversYaml(`  - name: remote
    transport: http
    url: ${upstream.url}
    headers:
      Authorization: { fromEnv: REMOTE_MCP_TOKEN }
`),
      REMOTE_POLICY,
    );
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile },
      traceExporter: exporter,
    });
    const seeded = await seedAgent(t.node, { roles: ['mcp-user'] });
    client = await connectAgent(`${await t.node.listen()}/mcp`, seeded.key, 'modern');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
    await upstream?.close();
  });

  it('records execute_tool with the decision under it, from _meta.traceparent, and passes the trace upstream', async () => {
    exporter.reset();
    const result = await client.callTool({
      name: 'remote.lookup',
      arguments: { word: 'warden' },
      _meta: { traceparent: TRACEPARENT },
    });
    expect(textOf(result)).toBe('looked up {"word":"warden"}');
    await t.node.mcp.idle();
    const tool = only(exporter, 'execute_tool remote.lookup');
    expect(tool.spanContext().traceId).toBe(TRACE_ID);
    expect(tool.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'remote.lookup',
      'mcp.method.name': 'tools/call',
      'warden.mcp.server': 'remote',
      'warden.verdict': 'allowed',
    });
    expect(tool.attributes['jsonrpc.request.id']).toBeDefined();
    expect(tool.attributes).not.toHaveProperty('gen_ai.tool.call.arguments');
    expect(tool.attributes).not.toHaveProperty('gen_ai.tool.call.result');
    const decision = only(exporter, 'apply_guardrail warden');
    expect(decision.parentSpanContext?.spanId).toBe(tool.spanContext().spanId);
    expect(decision.attributes).toMatchObject({
      'warden.source': 'mcp',
      'gen_ai.security.decision.type': 'allow',
    });
    // The upstream's request carries the gateway's span as its parent.
    const traceparent = `00-${TRACE_ID}-${tool.spanContext().spanId}-01`;
    expect(upstream.seenMeta.at(-1)).toMatchObject({ traceparent });
    // An HTTP upstream gets it as a header too; requests of no call (tools/list) carry none.
    expect(upstream.seenTraceparent).toContain(traceparent);
    expect(upstream.seenTraceparent.filter((t) => t !== undefined && t !== traceparent)).toEqual([]);
    const [event] = await auditEventsOf(t.node, String(decision.attributes['warden.decision.id']));
    expect(event?.payload).toMatchObject({
      trace: { traceId: TRACE_ID, spanId: decision.spanContext().spanId },
    });
  });

  it('counts gateway calls and their overhead on /metrics', async () => {
    const res = await t.node.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/warden_mcp_requests_total\{method="tools\/call",verdict="allowed"\} [1-9]/);
    expect(res.body).toMatch(/warden_mcp_overhead_seconds_count\{method="tools\/call"\} [1-9]/);
  });
});

describe('traces of LLM proxy calls (sqlite)', () => {
  const exporter = new InMemorySpanExporter();
  let bed: LlmBed;
  let openai: OpenAI;

  beforeAll(async () => {
    bed = await startLlmBed({ traceExporter: exporter });
    const agent = await seedAgent(bed.t.node, { roles: ['llm-user'] });
    openai = new OpenAI({
      apiKey: agent.key,
      baseURL: `${bed.base}/llm/openai/v1`,
      defaultHeaders: { traceparent: TRACEPARENT },
      maxRetries: 0,
    });
  });
  afterAll(() => bed?.close());

  it('records chat <model> with usage, the decision under it, and sends the trace to the provider', async () => {
    exporter.reset();
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    const decisionId = response.headers.get('x-warden-decision-id') ?? '';
    await decisionOf(bed.t.node, decisionId);
    const chat = only(exporter, 'chat gpt-4o-mini');
    expect(chat.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': data.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': data.usage?.completion_tokens,
      'http.response.status_code': 200,
    });
    expect(chat.attributes).not.toHaveProperty('gen_ai.input.messages');
    const decision = only(exporter, 'apply_guardrail warden');
    expect(decision.parentSpanContext?.spanId).toBe(chat.spanContext().spanId);
    expect(decision.attributes).toMatchObject({
      'gen_ai.security.target.type': 'llm_input',
      'warden.decision.id': decisionId,
    });
    const sent = bed.fakeOpenAi.requests.at(-1);
    expect(sent?.headers.traceparent).toBe(`00-${TRACE_ID}-${chat.spanContext().spanId}-01`);
    const metrics = (await bed.t.node.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/warden_llm_requests_total\{api="openai",provider="openai",status="200"\} 1/);
    expect(metrics).toMatch(/warden_llm_overhead_seconds_count\{api="openai",provider="openai"\} 1/);
  });

  it('ends the span of a refused call with the refusal as error.type', async () => {
    exporter.reset();
    await expect(
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        max_tokens: 5000,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toThrow();
    const chat = only(exporter, 'chat gpt-4o-mini');
    expect(chat.attributes).toMatchObject({ 'error.type': 'rule', 'http.response.status_code': 403 });
    expect(only(exporter, 'apply_guardrail warden').attributes).toMatchObject({
      'gen_ai.security.decision.type': 'deny',
      'warden.decision.rule': 'no-big-answers',
    });
  });
});

describe('the approval wait of a held gateway call (sqlite)', () => {
  const exporter = new InMemorySpanExporter();
  let t: TestNode;

  beforeAll(async () => {
    const files = await writeGatewayFiles();
    t = await startTestNode('sqlite', {
      policyDir: files.policyDir,
      settings: { mcpServersFile: files.serversFile, mcpHoldSeconds: 20, mcpHoldProgressSeconds: 1 },
      traceExporter: exporter,
    });
  }, 60_000);
  afterAll(() => t?.close());

  it('records the hold as approval_wait between the review and the approved decision', async () => {
    const lead = await createHuman(t.node, t.adminToken, ['approver']);
    await createGroup(t.node, t.adminToken, 'mcp-leads', [lead]);
    const seeded = await seedAgent(t.node, { roles: ['mcp-user'] });
    const client = await connectAgent(`${await t.node.listen()}/mcp`, seeded.key, 'modern');
    try {
      const call = client.callTool(
        { name: 'everything.get-sum', arguments: { a: 400, b: 2 }, _meta: { traceparent: TRACEPARENT } },
        { timeout: 30_000 },
      );
      let approvalId: string | undefined;
      for (let i = 0; i < 200 && !approvalId; i++) {
        approvalId = (
          await t.node.storage.db
            .selectFrom('approval_requests')
            .select('id')
            .where('agent_id', '=', seeded.agent.id)
            .executeTakeFirst()
        )?.id;
        if (!approvalId) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await voteOk(t.node, lead.token, approvalId ?? '', 'approve');
      expect(textOf(await call)).toContain('402');
      await t.node.mcp.idle();

      const tool = only(exporter, 'execute_tool everything.get-sum');
      expect(tool.spanContext().traceId).toBe(TRACE_ID);
      const wait = only(exporter, 'approval_wait');
      expect(wait.parentSpanContext?.spanId).toBe(tool.spanContext().spanId);
      expect(wait.attributes).toMatchObject({
        'warden.approval.id': approvalId,
        'warden.approval.hold.end': 'approved',
        'warden.approval.status': 'approved',
      });
      const decisions = named(exporter, 'apply_guardrail warden');
      expect(decisions.map((d) => d.attributes['warden.decision.effect'])).toEqual(['review', 'allow']);
      expect(decisions.every((d) => d.parentSpanContext?.spanId === tool.spanContext().spanId)).toBe(true);
      // The approved decision came after the wait.
      expect(decisions[1]?.startTime[0]).toBeGreaterThanOrEqual(wait.endTime[0]);
      const metrics = (await t.node.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/warden_approval_wait_seconds_count\{status="approved"\} 1/);
    } finally {
      await client.close();
    }
  });
});
