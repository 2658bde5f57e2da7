import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { invalidField } from '../errors.js';
import { StrictObject } from '../http/schemas.js';
import type { DecideContext } from './decide-request.js';
import { SignalsSchema, TaskId } from './decision-schema.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

/** What a gateway or proxy call may tell Warden of its task: MCP's `params._meta.warden`, or headers. */
const McpCallContext = StrictObject({
  taskId: Type.Optional(TaskId),
  parentTaskId: Type.Optional(TaskId),
  initiator: Type.Optional(Text(256)),
  onBehalfOf: Type.Optional(Text(256)),
  reasoning: Type.Optional(Type.String({ maxLength: 20_000 })),
  recommendation: Type.Optional(Type.String({ maxLength: 20_000 })),
  signals: Type.Optional(SignalsSchema),
});

/** The same, from HTTP headers, for clients that cannot set `_meta` (one value per header). */
const HEADERS = {
  'warden-task-id': 'taskId',
  'warden-parent-task-id': 'parentTaskId',
  'warden-initiator': 'initiator',
  'warden-on-behalf-of': 'onBehalfOf',
} as const;

export type McpCallContext = Static<typeof McpCallContext>;

/**
 * The decide context of a call through the MCP gateway or the LLM proxy: `_meta.warden` of an MCP
 * request, then the `Warden-*` headers for what it leaves out. A bad value is refused naming where it
 * came from, before anything is decided.
 */
export function callContext(
  meta: unknown,
  headers: Headers | undefined,
  via: 'mcp' | 'llm' = 'mcp',
): DecideContext {
  const fromHeaders: Record<string, string> = {};
  for (const [header, key] of Object.entries(HEADERS)) {
    const value = headers?.get(header);
    if (value !== null && value !== undefined) fromHeaders[key] = value;
  }
  const signals = headers?.get(SIGNALS_HEADER);
  const withSignals: Record<string, unknown> =
    signals === null || signals === undefined
      ? fromHeaders
      : { ...fromHeaders, signals: signalsHeader(signals) };
  checked(withSignals, (key) =>
    key.startsWith('signals')
      ? `header ${SIGNALS_HEADER}${key.slice('signals'.length)}`
      : `header ${Object.entries(HEADERS).find(([, k]) => k === key)?.[0] ?? key}`,
  );
  const warden = meta && typeof meta === 'object' ? (meta as Record<string, unknown>).warden : undefined;
  if (warden !== undefined) checked(warden, (key) => `params._meta.warden${key ? `.${key}` : ''}`);
  return { interface: via, ...(withSignals as McpCallContext), ...((warden ?? {}) as McpCallContext) };
}

/** The agent's signals in one header, as a JSON object: `Warden-Signals: {"confidence": 0.62}`. */
const SIGNALS_HEADER = 'warden-signals';

function signalsHeader(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw invalidField(
      `header ${SIGNALS_HEADER}`,
      'expected a JSON object of signals, such as {"confidence": 0.62}',
    );
  }
}

function checked(value: unknown, where: (key: string) => string): asserts value is McpCallContext {
  if (Value.Check(McpCallContext, value)) return;
  const [first] = Value.Errors(McpCallContext, value);
  const key = first?.instancePath.split('/').filter(Boolean).join('.') ?? '';
  const extra = (first?.params as { additionalProperties?: string[] } | undefined)?.additionalProperties;
  if (extra?.length) throw invalidField(where(extra[0] as string), 'is not a Warden context key');
  throw invalidField(where(key), first?.message ?? 'is invalid');
}
