import { randomId, type WireEvent } from './http-kit.js';
import { jsonPieces, pieces, type ScriptedToolCall } from './script.js';

/** Usage a test may script for Anthropic, in the Messages API's own terms. */
export interface AnthropicUsage {
  /** Input tokens after the last cache breakpoint: cache reads and writes are not included. */
  input_tokens: number;
  output_tokens: number;
  /** Tokens written to the cache (reported as 5-minute cache writes in `cache_creation`). */
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface AnthropicTurn {
  model: string;
  text: string;
  toolCalls: Required<ScriptedToolCall>[];
  usage: AnthropicUsage;
}

function stopReason(turn: AnthropicTurn): 'end_turn' | 'tool_use' {
  return turn.toolCalls.length > 0 ? 'tool_use' : 'end_turn';
}

function fullUsage(usage: AnthropicUsage, outputTokens: number) {
  return {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens,
    cache_read_input_tokens: usage.cache_read_input_tokens,
    cache_creation: {
      ephemeral_5m_input_tokens: usage.cache_creation_input_tokens,
      ephemeral_1h_input_tokens: 0,
    },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function messageShell(turn: AnthropicTurn, id: string, content: unknown[], done: boolean) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: turn.model,
    content,
    stop_reason: done ? stopReason(turn) : null,
    stop_sequence: null,
    // Anthropic reports output_tokens 1 in message_start; message_delta carries the total.
    usage: fullUsage(turn.usage, done ? turn.usage.output_tokens : 1),
  };
}

function contentOf(turn: AnthropicTurn): unknown[] {
  return [
    ...(turn.text !== '' || turn.toolCalls.length === 0 ? [{ type: 'text', text: turn.text }] : []),
    ...turn.toolCalls.map((call) => ({
      type: 'tool_use',
      id: call.id,
      name: call.name,
      input: call.arguments,
    })),
  ];
}

export function newMessageId(): string {
  return `msg_01${randomId(22)}`;
}

/** A non-streaming `message`. */
export function message(turn: AnthropicTurn) {
  return messageShell(turn, newMessageId(), contentOf(turn), true);
}

/**
 * The SSE events of a streamed message as Anthropic sends them: `message_start` (usage with the
 * input and cache tokens), per block `content_block_start`, `content_block_delta` (`text_delta`, or
 * `input_json_delta` for tool_use, starting with an empty `partial_json`), `content_block_stop`, a
 * `ping` after the first block start, `message_delta` (`stop_reason` and the cumulative usage),
 * `message_stop`.
 */
export function messageEvents(turn: AnthropicTurn): WireEvent[] {
  const events: WireEvent[] = [];
  events.push({ type: 'message_start', message: messageShell(turn, newMessageId(), [], false) });
  let index = 0;
  if (turn.text !== '' || turn.toolCalls.length === 0) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    events.push({ type: 'ping' });
    for (const text of pieces(turn.text)) {
      events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    }
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  for (const call of turn.toolCalls) {
    events.push({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
    });
    if (index === 0) events.push({ type: 'ping' });
    for (const partial_json of ['', ...jsonPieces(JSON.stringify(call.arguments))]) {
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json },
      });
    }
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  events.push({
    type: 'message_delta',
    delta: { stop_reason: stopReason(turn), stop_sequence: null },
    usage: {
      input_tokens: turn.usage.input_tokens,
      cache_creation_input_tokens: turn.usage.cache_creation_input_tokens,
      cache_read_input_tokens: turn.usage.cache_read_input_tokens,
      output_tokens: turn.usage.output_tokens,
    },
  });
  events.push({ type: 'message_stop' });
  return events;
}

/** The error body Anthropic sends with a non-2xx status. */
export function anthropicError(type: string, message: string, requestId: string) {
  return { type: 'error', error: { type, message }, request_id: requestId };
}
