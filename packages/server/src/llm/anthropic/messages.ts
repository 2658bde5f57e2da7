import type { ModelUsage } from '../costing.js';
import { countAnthropicInput, usageFromAnthropic } from '../costing.js';
import { LlmProxyError } from '../http/api-errors.js';
import type { ApiAdapter, StreamTally } from '../http/proxy-call.js';

/** The parts of a Messages request Warden reads; the rest goes to the provider as sent. */
export interface MessagesBody {
  readonly raw: Record<string, unknown>;
  readonly model: string;
  readonly messages: readonly Record<string, unknown>[];
  readonly stream: boolean;
  readonly maxTokens: number;
}

/** The API version sent when the agent's client names none. */
const DEFAULT_VERSION = '2023-06-01';

/** `POST /llm/anthropic/v1/messages`. */
export const messages: ApiAdapter<MessagesBody> = {
  api: 'anthropic',

  check(body) {
    const raw = object(body, 'body');
    if (typeof raw.model !== 'string' || raw.model === '') throw bad('model: Field required');
    const maxTokens = raw.max_tokens;
    if (
      typeof maxTokens !== 'number' ||
      !Number.isInteger(maxTokens) ||
      maxTokens < 1 ||
      maxTokens > 10_000_000
    )
      throw bad('max_tokens: Field required (a positive whole number)');
    const list = raw.messages;
    if (!Array.isArray(list) || list.length === 0) throw bad('messages: at least one message is required');
    list.forEach((message, i) => {
      const m = object(message, `messages.${i}`);
      if (m.role !== 'user' && m.role !== 'assistant')
        throw bad(`messages.${i}.role: must be user or assistant`);
    });
    if (raw.stream !== undefined && typeof raw.stream !== 'boolean') throw bad('stream: must be a boolean');
    return {
      raw,
      model: raw.model,
      messages: list as Record<string, unknown>[],
      stream: raw.stream === true,
      maxTokens,
    };
  },

  model: (body) => body.model,
  streaming: (body) => body.stream,
  maxOutputTokens: (body) => body.maxTokens,
  countInput: (body) => countAnthropicInput(body.raw),

  policyArgs(body, inputTokens, maxOutputTokens) {
    const tools = Array.isArray(body.raw.tools) ? body.raw.tools : [];
    return {
      max_tokens: maxOutputTokens,
      input_tokens: inputTokens,
      messages: body.messages.length,
      tools: tools
        .map((tool) => (tool as { name?: unknown; type?: unknown }).name ?? (tool as { type?: unknown }).type)
        .filter((name): name is string => typeof name === 'string'),
      hosted_tools: [
        ...tools
          .map((tool) => (tool as { type?: unknown }).type)
          .filter((type): type is string => typeof type === 'string' && type !== 'custom'),
        ...mcpServers(body).map((server) => `mcp:${serverName(server)}`),
      ],
      ...(typeof body.raw.temperature === 'number' ? { temperature: body.raw.temperature } : {}),
      ...(typeof body.raw.top_p === 'number' ? { top_p: body.raw.top_p } : {}),
    };
  },

  // The MCP connector (`mcp_servers`): Anthropic calls those servers itself, out of Warden's sight,
  // so the same rule as for a hosted MCP tool of the Responses API applies (see openai/responses.ts).
  hostedTool(body) {
    const servers = mcpServers(body);
    if (servers.length === 0) return undefined;
    const named = servers.map((server, i) => `mcp_servers.${i} (mcp:${serverName(server)})`);
    return {
      field: 'body.mcp_servers.0',
      reason: `hosted MCP servers, which the provider would call out of Warden's sight: ${named.join(', ')}; no policy rule on args.hosted_tools allows them for this agent`,
    };
  },

  upstream(body, route, key, incoming) {
    const version =
      typeof incoming['anthropic-version'] === 'string' ? incoming['anthropic-version'] : DEFAULT_VERSION;
    const beta = incoming['anthropic-beta'];
    return {
      url: `${route.provider.baseUrl}/v1/messages`,
      headers: {
        'x-api-key': key,
        'anthropic-version': version,
        ...(typeof beta === 'string' ? { 'anthropic-beta': beta } : {}),
        'content-type': 'application/json',
        accept: body.stream ? 'text/event-stream' : 'application/json',
      },
      body: JSON.stringify({ ...body.raw, model: route.model }),
    };
  },

  usageOf(answer) {
    const usage = (answer as { usage?: unknown } | null)?.usage;
    return usage ? usageFromAnthropic(usage) : undefined;
  },

  answerText: (answer) => blocksText((answer as { content?: unknown } | null)?.content),

  toolCallsOf(answer) {
    const content = (answer as { content?: unknown } | null)?.content;
    return Array.isArray(content) ? content.flatMap((block) => calledTool(block)) : [];
  },

  shadowBody: (body) => body,

  promptText(body) {
    const system = body.raw.system;
    const systemText = typeof system === 'string' ? system : blocksText(system);
    return [
      ...(systemText ? [`system: ${systemText}`] : []),
      ...body.messages.map(
        (m) => `${String(m.role)}: ${typeof m.content === 'string' ? m.content : blocksText(m.content)}`,
      ),
    ].join('\n');
  },

  tally() {
    // message_start carries the input side; each message_delta the cumulative output (and, in newer
    // API versions, the input side again): the last of each field wins.
    let usage: Record<string, unknown> | undefined;
    let finished = false;
    const delivered: string[] = [];
    const called: string[] = [];
    const tally: StreamTally = {
      see(event) {
        if (event.data === undefined) return 'pass';
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(event.data) as Record<string, unknown>;
        } catch {
          return 'pass';
        }
        const type = event.event ?? data.type;
        if (type === 'message_start') {
          const message = data.message as { usage?: Record<string, unknown> } | undefined;
          if (message?.usage) usage = { ...message.usage };
        } else if (type === 'message_delta') {
          const delta = data.usage as Record<string, unknown> | undefined;
          if (delta) usage = { ...usage, ...withoutNulls(delta) };
        } else if (type === 'content_block_delta') {
          const delta = data.delta as
            | { text?: unknown; partial_json?: unknown; thinking?: unknown }
            | undefined;
          for (const piece of [delta?.text, delta?.partial_json, delta?.thinking])
            if (typeof piece === 'string') delivered.push(piece);
        } else if (type === 'content_block_start') {
          const block = data.content_block as { type?: unknown; name?: unknown } | undefined;
          if (block?.type === 'tool_use' && typeof block.name === 'string') delivered.push(block.name);
          called.push(...calledTool(block));
        } else if (type === 'message_stop') {
          finished = true;
        }
        return 'pass';
      },
      usage: (): ModelUsage | undefined => (usage ? usageFromAnthropic(usage) : undefined),
      delivered: () => delivered.join(''),
      finished: () => finished,
      toolCalls: () => [...called],
    };
    return tally;
  },

  costComment: (usd, decisionId) => `: warden cost_usd=${usd.toFixed(6)} decision_id=${decisionId}\n\n`,
};

/** The tool a content block calls: a client tool's, a server tool's or an MCP connector tool's name. */
function calledTool(block: unknown): string[] {
  const b = block as { type?: unknown; name?: unknown } | undefined;
  const calls = b?.type === 'tool_use' || b?.type === 'server_tool_use' || b?.type === 'mcp_tool_use';
  return calls ? [String(b?.name ?? '?')] : [];
}

function mcpServers(body: MessagesBody): unknown[] {
  return Array.isArray(body.raw.mcp_servers) ? body.raw.mcp_servers : [];
}

function serverName(server: unknown): string {
  const name = (server as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${at}: Input should be a valid dictionary`);
  return value as Record<string, unknown>;
}

/** Anthropic names the field at the start of the message (`max_tokens: Field required`). */
function bad(message: string): LlmProxyError {
  const param = message.slice(0, message.indexOf(':'));
  return new LlmProxyError(400, 'invalid_request', message, {
    field: param === 'body' ? 'body' : `body.${param}`,
  });
}

/** The text of content blocks: text, tool calls and their inputs, thinking. */
function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => {
      const b = block as {
        type?: unknown;
        text?: unknown;
        name?: unknown;
        input?: unknown;
        thinking?: unknown;
        content?: unknown;
      };
      if (typeof b.text === 'string') return b.text;
      if (b.type === 'tool_use') return `call ${String(b.name)}(${JSON.stringify(b.input ?? {})})`;
      if (b.type === 'tool_result') return `result: ${blocksText(b.content)}`;
      if (typeof b.thinking === 'string') return b.thinking;
      return `[${typeof b.type === 'string' ? b.type : 'block'}]`;
    })
    .join('\n');
}
