import type { ModelUsage } from '../costing.js';
import { countResponsesInput, usageFromResponses } from '../costing.js';
import type { ApiAdapter, StreamTally } from '../http/proxy-call.js';
import { textOf } from './chat-completions.js';
import { bad, limit, object } from './checks.js';

/** The parts of a Responses request Warden reads; the rest goes to the provider as sent. */
export interface ResponsesBody {
  readonly raw: Record<string, unknown>;
  readonly model: string;
  readonly stream: boolean;
  readonly maxOutputTokens: number | undefined;
  /** `tools` as sent: every entry an object with a `type`. */
  readonly tools: readonly Record<string, unknown>[];
}

/**
 * Tools of type `function` and `custom` are run by the agent itself: their calls come back to it
 * (and, when it calls through Warden, are decided there). Every other type is a built-in tool, which
 * the provider runs (`web_search`, `file_search`, `code_interpreter`, `image_generation`, `mcp`) or
 * asks the agent's computer to run (`computer_use_preview`, `local_shell`): policies see them in
 * `args.hosted_tools`, by type, and a hosted MCP server as `mcp:<server_label>`.
 */
const AGENT_TOOL_TYPES = new Set(['function', 'custom']);

/**
 * `POST /llm/openai/v1/responses`.
 *
 * The hosted MCP rule (secure by default): a request with a tool of type `mcp` lets the provider
 * call that MCP server — with whatever `authorization` the request gives it — without Warden seeing
 * a single one of those calls. So such a request is allowed only by a Policy rule that was written
 * for it: a matched `allow` or `review` rule whose `when` reads `args.hosted_tools` (for example
 * `args.hosted_tools.all(t, !t.startsWith("mcp:") || t in ["mcp:docs"])`). A broad grant of the
 * model (`allow llm.*` without such a condition) or a temporary grant does not cover it: the call is
 * denied `hosted_tool_refused`, recorded, and answered 400 naming `tools[i]`. Other built-in tools
 * are in `args.hosted_tools` for policies to deny, and allowed with the model otherwise.
 */
export const responses: ApiAdapter<ResponsesBody> = {
  api: 'openai',

  check(body) {
    const raw = object(body, 'body');
    const model = raw.model;
    if (typeof model !== 'string' || model === '') throw bad('model', 'you must provide a model parameter');
    const input = raw.input;
    if (input !== undefined && input !== null && typeof input !== 'string' && !Array.isArray(input))
      throw bad('input', 'input must be a string or a list of input items');
    if (Array.isArray(input)) {
      input.forEach((item, i) => {
        object(item, `input[${i}]`);
      });
    }
    if (raw.stream !== undefined && raw.stream !== null && typeof raw.stream !== 'boolean')
      throw bad('stream', 'stream must be a boolean');
    // A background response is answered before it runs, and its usage is only known to whoever
    // polls it later, which Warden does not: it could not be priced.
    if (raw.background === true)
      throw bad('background', 'background responses are not supported through Warden');
    const tools = raw.tools === undefined || raw.tools === null ? [] : raw.tools;
    if (!Array.isArray(tools)) throw bad('tools', 'tools must be a list');
    tools.forEach((tool, i) => {
      if (typeof object(tool, `tools[${i}]`).type !== 'string')
        throw bad(`tools[${i}].type`, 'each tool needs a type');
    });
    return {
      raw,
      model,
      stream: raw.stream === true,
      maxOutputTokens: limit(raw.max_output_tokens, 'max_output_tokens'),
      tools: tools as Record<string, unknown>[],
    };
  },

  model: (body) => body.model,
  streaming: (body) => body.stream,
  maxOutputTokens: (body, provider) => body.maxOutputTokens ?? provider.defaultMaxTokens,
  countInput: (body, model) => countResponsesInput({ ...body.raw, model }),

  policyArgs(body, inputTokens, maxOutputTokens) {
    const input = body.raw.input;
    return {
      max_tokens: maxOutputTokens,
      input_tokens: inputTokens,
      messages: typeof input === 'string' ? 1 : Array.isArray(input) ? input.length : 0,
      tools: body.tools
        .filter((tool) => AGENT_TOOL_TYPES.has(tool.type as string))
        .map((tool) => (typeof tool.name === 'string' ? tool.name : (tool.type as string))),
      hosted_tools: body.tools.filter((tool) => !AGENT_TOOL_TYPES.has(tool.type as string)).map(hostedName),
      // A prompt stored at OpenAI: its content (and whatever it configures there) Warden cannot see.
      ...(typeof (body.raw.prompt as { id?: unknown } | null)?.id === 'string'
        ? { stored_prompt: (body.raw.prompt as { id: string }).id }
        : {}),
      ...(typeof body.raw.temperature === 'number' ? { temperature: body.raw.temperature } : {}),
      ...(typeof body.raw.top_p === 'number' ? { top_p: body.raw.top_p } : {}),
    };
  },

  hostedTool(body) {
    const servers = body.tools.flatMap((tool, i) =>
      tool.type === 'mcp' ? [`tools[${i}] (${hostedName(tool)})`] : [],
    );
    if (servers.length === 0) return undefined;
    return {
      field: `body.${servers[0]?.split(' ')[0]}`,
      reason: `hosted MCP servers, which the provider would call out of Warden's sight: ${servers.join(', ')}; no policy rule on args.hosted_tools allows them for this agent`,
    };
  },

  upstream(body, route, key) {
    return {
      url: `${route.provider.baseUrl}/responses`,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        accept: body.stream ? 'text/event-stream' : 'application/json',
      },
      body: JSON.stringify({ ...body.raw, model: route.model }),
    };
  },

  usageOf(answer) {
    const usage = (answer as { usage?: unknown } | null)?.usage;
    return usage ? usageFromResponses(usage) : undefined;
  },

  answerText: (answer) => outputText((answer as { output?: unknown } | null)?.output),

  toolCallsOf(answer) {
    const output = (answer as { output?: unknown } | null)?.output;
    return Array.isArray(output) ? output.flatMap((item) => calledTool(item)) : [];
  },

  // Not stored at the provider: a shadow's answer is never a response an agent can continue from.
  shadowBody: (body) => ({ ...body, raw: { ...body.raw, store: false } }),

  promptText(body) {
    const { instructions, input } = body.raw;
    const lines = typeof instructions === 'string' ? [`instructions: ${instructions}`] : [];
    if (typeof input === 'string') lines.push(`user: ${input}`);
    else if (Array.isArray(input)) for (const item of input) lines.push(itemText(item));
    return lines.join('\n');
  },

  tally() {
    // Typed events; the usage comes with the final response (`response.completed`, or
    // `response.incomplete` when the output limit was reached, or `response.failed`).
    let usage: ModelUsage | undefined;
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
        switch (type) {
          case 'response.output_text.delta':
          case 'response.refusal.delta':
          case 'response.function_call_arguments.delta':
          case 'response.custom_tool_call_input.delta':
          case 'response.reasoning_text.delta':
          case 'response.reasoning_summary_text.delta':
            if (typeof data.delta === 'string') delivered.push(data.delta);
            break;
          case 'response.output_item.added': {
            const item = data.item as { type?: unknown; name?: unknown } | undefined;
            if (typeof item?.name === 'string') delivered.push(item.name);
            called.push(...calledTool(item));
            break;
          }
          case 'response.completed':
          case 'response.incomplete':
          case 'response.failed': {
            const response = data.response as { usage?: unknown } | undefined;
            if (response?.usage) usage = usageFromResponses(response.usage);
            // A failed response ends the stream but is no answer: the outcome is failed, still
            // priced from its usage when it has one.
            finished = type !== 'response.failed';
            break;
          }
        }
        return 'pass';
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

/** The tool an output item calls: a function's (or custom tool's) name, a built-in tool's call type. */
function calledTool(item: unknown): string[] {
  const i = item as { type?: unknown; name?: unknown } | undefined;
  if (typeof i?.type !== 'string') return [];
  if (i.type === 'function_call' || i.type === 'custom_tool_call') return [String(i.name ?? '?')];
  return i.type.endsWith('_call') ? [i.type] : [];
}

/** A built-in tool as policies see it: its type, and a hosted MCP server as `mcp:<server_label>`. */
function hostedName(tool: Record<string, unknown>): string {
  if (tool.type !== 'mcp') return tool.type as string;
  return `mcp:${typeof tool.server_label === 'string' ? tool.server_label : ''}`;
}

/** An input item as the audit keeps it: a message's text, a call, a call's output. */
function itemText(item: unknown): string {
  const i = item as Record<string, unknown>;
  switch (i.type ?? 'message') {
    case 'message':
      return `${String(i.role)}: ${textOf(i.content)}`;
    case 'function_call':
      return `call ${String(i.name)}(${typeof i.arguments === 'string' ? i.arguments : ''})`;
    case 'function_call_output':
    case 'custom_tool_call_output':
      return `result: ${typeof i.output === 'string' ? i.output : textOf(i.output)}`;
    default:
      return `[${String(i.type)}]`;
  }
}

/** The text of a response's output items: messages, refusals, tool calls. */
function outputText(output: unknown): string {
  if (!Array.isArray(output)) return '';
  return output
    .map((item) => {
      const i = item as Record<string, unknown>;
      if (i.type === 'message') return textOf(i.content);
      if (i.type === 'function_call')
        return `call ${String(i.name)}(${typeof i.arguments === 'string' ? i.arguments : ''})`;
      if (i.type === 'reasoning') return '';
      return `[${String(i.type)}]`;
    })
    .filter(Boolean)
    .join('\n');
}
