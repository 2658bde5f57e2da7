import { randomId, type WireEvent } from './http-kit.js';
import { jsonPieces, pieces, type ScriptedToolCall } from './script.js';

/** Usage a test may script for OpenAI, in the chat completions' own terms. */
export interface OpenAiUsage {
  /** All input tokens, cached ones included (Responses: `input_tokens`). */
  prompt_tokens: number;
  /** All output tokens, reasoning ones included (Responses: `output_tokens`). */
  completion_tokens: number;
  /** `prompt_tokens_details.cached_tokens` (Responses: `input_tokens_details.cached_tokens`). */
  cached_tokens: number;
  /** `prompt_tokens_details.cache_write_tokens` (Responses: `input_tokens_details.cache_write_tokens`). */
  cache_write_tokens: number;
  /** `completion_tokens_details.reasoning_tokens` (Responses: `output_tokens_details.reasoning_tokens`). */
  reasoning_tokens: number;
}

export interface OpenAiTurn {
  model: string;
  text: string;
  toolCalls: Required<ScriptedToolCall>[];
  usage: OpenAiUsage;
}

const FINGERPRINT = 'fp_fake0001';

const now = () => Math.floor(Date.now() / 1000);

export function chatUsage(usage: OpenAiUsage) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: {
      cached_tokens: usage.cached_tokens,
      cache_write_tokens: usage.cache_write_tokens,
      audio_tokens: 0,
    },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning_tokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(turn: OpenAiTurn): 'stop' | 'tool_calls' {
  return turn.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** A non-streaming `chat.completion`. */
export function chatCompletion(turn: OpenAiTurn) {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: turn.text === '' && turn.toolCalls.length > 0 ? null : turn.text,
    refusal: null,
    annotations: [],
  };
  if (turn.toolCalls.length > 0) {
    message.tool_calls = turn.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
  }
  return {
    id: `chatcmpl-${randomId(29)}`,
    object: 'chat.completion',
    created: now(),
    model: turn.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(turn) }],
    usage: chatUsage(turn.usage),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
}

/**
 * The `chat.completion.chunk` objects of a stream, as OpenAI sends them: a first chunk with the
 * role, content pieces, tool calls (id, name and empty arguments, then argument pieces by `index`),
 * a chunk with `finish_reason`, and with `include_usage` a last chunk with empty `choices` and the
 * usage (every earlier chunk then carries `usage: null`).
 */
export function chatChunks(turn: OpenAiTurn, includeUsage: boolean): unknown[] {
  const id = `chatcmpl-${randomId(29)}`;
  const created = now();
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: turn.model,
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: unknown[] = [];
  const toolOnly = turn.text === '' && turn.toolCalls.length > 0;
  chunks.push(chunk({ role: 'assistant', content: toolOnly ? null : '', refusal: null }, null));
  for (const piece of pieces(turn.text)) chunks.push(chunk({ content: piece }, null));
  turn.toolCalls.forEach((call, index) => {
    chunks.push(
      chunk(
        {
          tool_calls: [
            { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
          ],
        },
        null,
      ),
    );
    for (const part of jsonPieces(JSON.stringify(call.arguments))) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }, null));
    }
  });
  chunks.push(chunk({}, finishReason(turn)));
  if (includeUsage) {
    chunks.push({
      id,
      object: 'chat.completion.chunk',
      created,
      model: turn.model,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
      choices: [],
      usage: chatUsage(turn.usage),
    });
  }
  return chunks;
}

function responsesUsage(usage: OpenAiUsage) {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: {
      cached_tokens: usage.cached_tokens,
      cache_write_tokens: usage.cache_write_tokens,
    },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

interface OutputItems {
  message?: { id: string; text: string };
  calls: { id: string; call_id: string; name: string; arguments: string }[];
}

function outputItemsOf(turn: OpenAiTurn): OutputItems {
  return {
    ...(turn.text !== '' || turn.toolCalls.length === 0
      ? { message: { id: `msg_${randomId(40)}`, text: turn.text } }
      : {}),
    calls: turn.toolCalls.map((call) => ({
      id: `fc_${randomId(40)}`,
      call_id: call.id,
      name: call.name,
      arguments: JSON.stringify(call.arguments),
    })),
  };
}

function messageItem(message: { id: string; text: string }, status: 'in_progress' | 'completed') {
  return {
    id: message.id,
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'completed' ? [outputText(message.text)] : [],
  };
}

function outputText(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function callItem(call: OutputItems['calls'][number], status: 'in_progress' | 'completed') {
  return {
    id: call.id,
    type: 'function_call',
    status,
    call_id: call.call_id,
    name: call.name,
    arguments: status === 'completed' ? call.arguments : '',
  };
}

function responseObject(
  turn: OpenAiTurn,
  request: Record<string, unknown>,
  id: string,
  status: 'in_progress' | 'completed',
  output: unknown[],
) {
  return {
    id,
    object: 'response',
    created_at: now(),
    status,
    background: false,
    completed_at: status === 'completed' ? now() : null,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: {},
    model: turn.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: request.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: status === 'completed' ? responsesUsage(turn.usage) : null,
    user: null,
  };
}

function completedOutput(items: OutputItems): unknown[] {
  return [
    ...(items.message ? [messageItem(items.message, 'completed')] : []),
    ...items.calls.map((call) => callItem(call, 'completed')),
  ];
}

/** A non-streaming `response` (the SDK adds `output_text` itself). */
export function response(turn: OpenAiTurn, request: Record<string, unknown>) {
  return responseObject(
    turn,
    request,
    `resp_${randomId(40)}`,
    'completed',
    completedOutput(outputItemsOf(turn)),
  );
}

/**
 * The typed events of a streamed response, each with its `sequence_number`: `response.created`,
 * `response.in_progress`, per message item `output_item.added`, `content_part.added`,
 * `output_text.delta`…, `output_text.done`, `content_part.done`, `output_item.done`, per function
 * call `output_item.added`, `function_call_arguments.delta`…, `…done`, `output_item.done`, and
 * `response.completed` carrying the whole response and its usage.
 */
export function responseEvents(turn: OpenAiTurn, request: Record<string, unknown>): WireEvent[] {
  const id = `resp_${randomId(40)}`;
  const items = outputItemsOf(turn);
  const events: WireEvent[] = [];
  const push = (event: WireEvent) => events.push({ ...event, sequence_number: events.length });
  push({ type: 'response.created', response: responseObject(turn, request, id, 'in_progress', []) });
  push({ type: 'response.in_progress', response: responseObject(turn, request, id, 'in_progress', []) });
  let outputIndex = 0;
  if (items.message) {
    const message = items.message;
    const at = { item_id: message.id, output_index: outputIndex, content_index: 0 };
    push({
      type: 'response.output_item.added',
      output_index: outputIndex,
      item: messageItem(message, 'in_progress'),
    });
    push({ type: 'response.content_part.added', ...at, part: outputText('') });
    for (const delta of pieces(message.text)) {
      push({ type: 'response.output_text.delta', ...at, delta, logprobs: [] });
    }
    push({ type: 'response.output_text.done', ...at, text: message.text, logprobs: [] });
    push({ type: 'response.content_part.done', ...at, part: outputText(message.text) });
    push({
      type: 'response.output_item.done',
      output_index: outputIndex,
      item: messageItem(message, 'completed'),
    });
    outputIndex++;
  }
  for (const call of items.calls) {
    const at = { item_id: call.id, output_index: outputIndex };
    push({
      type: 'response.output_item.added',
      output_index: outputIndex,
      item: callItem(call, 'in_progress'),
    });
    for (const delta of jsonPieces(call.arguments)) {
      push({ type: 'response.function_call_arguments.delta', ...at, delta });
    }
    push({
      type: 'response.function_call_arguments.done',
      ...at,
      name: call.name,
      arguments: call.arguments,
    });
    push({ type: 'response.output_item.done', output_index: outputIndex, item: callItem(call, 'completed') });
    outputIndex++;
  }
  push({
    type: 'response.completed',
    response: responseObject(turn, request, id, 'completed', completedOutput(items)),
  });
  return events;
}

/** The error body OpenAI sends with a non-2xx status. */
export function openAiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}
