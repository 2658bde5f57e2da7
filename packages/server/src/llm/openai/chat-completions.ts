import type { ModelUsage } from '../costing.js';
import { countChatInput, usageFromChat } from '../costing.js';
import type { ApiAdapter, StreamTally } from '../http/proxy-call.js';
import { bad, limit, object } from './checks.js';

/** The parts of a Chat Completions request Warden reads; the rest goes to the provider as sent. */
export interface ChatBody {
  readonly raw: Record<string, unknown>;
  readonly model: string;
  readonly messages: readonly Record<string, unknown>[];
  readonly stream: boolean;
  /** `stream_options.include_usage` as the agent asked (Warden always asks the provider for it). */
  readonly wantsUsage: boolean;
  readonly maxTokens: number | undefined;
  readonly choices: number;
}

const MAX_CHOICES = 128;

/** `POST /llm/openai/v1/chat/completions`. */
export const chatCompletions: ApiAdapter<ChatBody> = {
  api: 'openai',

  check(body) {
    const raw = object(body, 'body');
    const model = raw.model;
    if (typeof model !== 'string' || model === '') throw bad('model', 'you must provide a model parameter');
    const messages = raw.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      throw bad('messages', 'messages must be a non-empty array');
    messages.forEach((message, i) => {
      const m = object(message, `messages[${i}]`);
      if (typeof m.role !== 'string') throw bad(`messages[${i}].role`, 'each message needs a role');
    });
    if (raw.stream !== undefined && typeof raw.stream !== 'boolean')
      throw bad('stream', 'stream must be a boolean');
    const options =
      raw.stream_options === undefined || raw.stream_options === null
        ? {}
        : object(raw.stream_options, 'stream_options');
    const maxTokens =
      limit(raw.max_completion_tokens, 'max_completion_tokens') ?? limit(raw.max_tokens, 'max_tokens');
    const n = raw.n === undefined || raw.n === null ? 1 : raw.n;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CHOICES)
      throw bad('n', `n must be a whole number from 1 to ${MAX_CHOICES}`);
    return {
      raw,
      model,
      messages: messages as Record<string, unknown>[],
      stream: raw.stream === true,
      wantsUsage: options.include_usage === true,
      maxTokens,
      choices: n,
    };
  },

  model: (body) => body.model,
  streaming: (body) => body.stream,
  // Every choice may use the whole limit.
  maxOutputTokens: (body, provider) => (body.maxTokens ?? provider.defaultMaxTokens) * body.choices,
  countInput: (body, model) => countChatInput({ ...body.raw, model }),

  policyArgs(body, inputTokens, maxOutputTokens) {
    const tools = Array.isArray(body.raw.tools) ? body.raw.tools : [];
    return {
      max_tokens: maxOutputTokens,
      input_tokens: inputTokens,
      messages: body.messages.length,
      tools: tools.map((tool) => toolName(tool)).filter((name): name is string => name !== undefined),
      ...(typeof body.raw.temperature === 'number' ? { temperature: body.raw.temperature } : {}),
      ...(typeof body.raw.top_p === 'number' ? { top_p: body.raw.top_p } : {}),
      ...(body.choices > 1 ? { n: body.choices } : {}),
    };
  },

  upstream(body, route, key) {
    const sent: Record<string, unknown> = { ...body.raw, model: route.model };
    // Always asked for, so a stream is priced from the provider's own count; passed on only if asked.
    if (body.stream)
      sent.stream_options = { ...(body.raw.stream_options as object | undefined), include_usage: true };
    return {
      url: `${route.provider.baseUrl}/chat/completions`,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: body.stream ? 'text/event-stream' : 'application/json',
      },
      body: JSON.stringify(sent),
    };
  },

  usageOf(answer) {
    const usage = (answer as { usage?: unknown } | null)?.usage;
    return usage ? usageFromChat(usage) : undefined;
  },

  answerText(answer) {
    const choices = (answer as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) return '';
    return choices
      .map((choice) => {
        const message = (choice as { message?: Record<string, unknown> }).message ?? {};
        return [textOf(message.content), ...callsOf(message.tool_calls)].filter(Boolean).join('\n');
      })
      .join('\n');
  },

  toolCallsOf(answer) {
    const choices = (answer as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) return [];
    return choices.flatMap((choice) => {
      const calls = (choice as { message?: { tool_calls?: unknown } }).message?.tool_calls;
      return Array.isArray(calls) ? calls.map((call) => String(toolName(call) ?? '?')) : [];
    });
  },

  shadowBody: (body) => body,

  promptText: (body) =>
    body.messages
      .map((m) => `${m.role}: ${[textOf(m.content), ...callsOf(m.tool_calls)].filter(Boolean).join('\n')}`)
      .join('\n'),

  tally(body) {
    let usage: ModelUsage | undefined;
    let finished = false;
    const delivered: string[] = [];
    const called: string[] = [];
    const tally: StreamTally = {
      see(event) {
        if (event.data === undefined) return 'pass';
        if (event.data === '[DONE]') {
          finished = true;
          return 'pass';
        }
        let chunk: { choices?: unknown; usage?: unknown };
        try {
          chunk = JSON.parse(event.data) as typeof chunk;
        } catch {
          return 'pass';
        }
        if (chunk.usage) usage = usageFromChat(chunk.usage);
        if (Array.isArray(chunk.choices)) {
          for (const choice of chunk.choices) {
            const delta = (choice as { delta?: Record<string, unknown> }).delta ?? {};
            if (typeof delta.content === 'string') delivered.push(delta.content);
            for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
              const fn = (call as { function?: { name?: unknown; arguments?: unknown } }).function;
              if (typeof fn?.name === 'string') {
                delivered.push(fn.name);
                called.push(fn.name);
              }
              if (typeof fn?.arguments === 'string') delivered.push(fn.arguments);
            }
          }
        }
        // The usage chunk (no choices) is Warden's own request unless the agent asked for it too.
        const usageOnly = chunk.usage && Array.isArray(chunk.choices) && chunk.choices.length === 0;
        return usageOnly && !body.wantsUsage ? 'drop' : 'pass';
      },
      usage: () => usage,
      delivered: () => delivered.join(''),
      finished: () => finished,
      toolCalls: () => [...called],
    };
    return tally;
  },

  costComment: (usd, decisionId) => `: warden cost_usd=${usd.toFixed(6)} decision_id=${decisionId}\n\n`,
};

function toolName(tool: unknown): string | undefined {
  const t = tool as { type?: unknown; function?: { name?: unknown }; name?: unknown };
  if (typeof t?.function?.name === 'string') return t.function.name;
  if (typeof t?.name === 'string') return t.name;
  return typeof t?.type === 'string' ? t.type : undefined;
}

/** A message's text: a string, or the text of its content parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const p = part as { type?: unknown; text?: unknown };
      return typeof p.text === 'string' ? p.text : `[${typeof p.type === 'string' ? p.type : 'part'}]`;
    })
    .join('\n');
}

function callsOf(calls: unknown): string[] {
  if (!Array.isArray(calls)) return [];
  return calls.map((call) => {
    const fn = (call as { function?: { name?: unknown; arguments?: unknown } }).function;
    return `call ${String(fn?.name ?? '?')}(${typeof fn?.arguments === 'string' ? fn.arguments : ''})`;
  });
}
