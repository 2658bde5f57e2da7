import {
  type Client,
  type ClientCapabilities,
  type CreateMessageResult,
  type ElicitResult,
  ProtocolError,
  ProtocolErrorCode,
  type Result,
} from '@modelcontextprotocol/client';
import type { ServerEntry } from './server-entry.js';
import { REQUEST_METHODS, UPSTREAM_REQUESTS } from './upstream-requests.js';

/** A request an upstream sends Warden's client, as it is relayed to an agent. */
export interface UpstreamAsk {
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
}

/** Where an upstream's sampling or elicitation request goes: the agent call it was sent during. */
export interface RelayTarget {
  /** The agent client's answer, or a `RelayRefusal` saying why Warden did not relay it. */
  ask(request: UpstreamAsk, signal: AbortSignal): Promise<Result>;
}

/** Why Warden did not relay an upstream's request (said to the upstream, logged without its content). */
export class RelayRefusal extends Error {
  override readonly name = 'RelayRefusal';
}

/** One request of Warden's on an upstream connection, with where its relayed requests go (tool calls). */
export interface InFlight {
  readonly relay?: RelayTarget;
}

export interface UpstreamAskDeps {
  readonly entry: ServerEntry;
  readonly log: { warn(details: Record<string, unknown>, message: string): void };
  /** The one agent a connection serves, when the entry relays (named in logs). */
  readonly agentId?: string;
  /** Warden's requests on this connection now, to find the call a relayed request belongs to. */
  readonly inFlight: () => readonly InFlight[];
}

/**
 * What Warden's client declares to an upstream: only what its entry allows. Elicitation is form mode
 * only: a URL-mode elicitation ends with a completion notification naming its id, which Warden does
 * not carry between the upstream and the agent.
 */
export function clientCapabilities(entry: ServerEntry): ClientCapabilities {
  return {
    ...(entry.allow.includes('roots') ? { roots: {} } : {}),
    ...(entry.allow.includes('sampling') ? { sampling: {} } : {}),
    ...(entry.allow.includes('elicitation') ? { elicitation: { form: {} } } : {}),
  };
}

/**
 * Answers what an upstream asks of Warden's client: `roots/list` from the entry, sampling and
 * elicitation relayed to the agent whose call is in flight, each only where the entry allows it.
 * Everything else (an unallowed kind, any other method) is refused with a JSON-RPC error naming the
 * method and why, logged at warn with the server's name and never the request's content; the call in
 * flight goes on, and the upstream decides what to make of the refusal.
 */
export function answerUpstreamAsks(client: Client, deps: UpstreamAskDeps): void {
  const { entry } = deps;
  const refuse = (method: string, reason: string, code: number): ProtocolError => {
    deps.log.warn(
      {
        server: entry.name,
        method: method.slice(0, 100),
        reason,
        ...(deps.agentId ? { agentId: deps.agentId } : {}),
      },
      'upstream request refused',
    );
    return new ProtocolError(
      code,
      `Warden refuses ${method.slice(0, 100)} from upstream ${entry.name}: ${reason}`,
    );
  };

  client.fallbackRequestHandler = async (request) => {
    const kind = UPSTREAM_REQUESTS.find((k) => REQUEST_METHODS[k] === request.method);
    const reason = kind
      ? `the server entry does not allow ${kind}`
      : `Warden answers only ${UPSTREAM_REQUESTS.join(', ')} requests, and only where the server entry allows them`;
    throw refuse(request.method, reason, ProtocolErrorCode.MethodNotFound);
  };

  if (entry.allow.includes('roots')) {
    client.setRequestHandler('roots/list', async () => ({ roots: entry.roots.map((root) => ({ ...root })) }));
  }

  const relay = async (method: string, params: unknown, signal: AbortSignal): Promise<Result> => {
    try {
      const target = relayTarget(deps.inFlight());
      // `_meta` belongs to this connection (its progress tokens, its trace), not to the agent's.
      const { _meta, ...rest } = (params ?? {}) as Record<string, unknown>;
      return await target.ask({ method, params: rest }, signal);
    } catch (error) {
      if (error instanceof RelayRefusal)
        throw refuse(method, error.message, ProtocolErrorCode.InvalidRequest);
      throw error;
    }
  };
  if (entry.allow.includes('sampling')) {
    client.setRequestHandler(
      'sampling/createMessage',
      (request, ctx) =>
        relay(request.method, request.params, ctx.mcpReq.signal) as Promise<CreateMessageResult>,
    );
  }
  if (entry.allow.includes('elicitation')) {
    client.setRequestHandler(
      'elicitation/create',
      (request, ctx) => relay(request.method, request.params, ctx.mcpReq.signal) as Promise<ElicitResult>,
    );
  }
}

/**
 * The call a relayed request belongs to. Neither stdio nor the SDK's client tells which of Warden's
 * requests an upstream's request was sent during, so it goes to the only request in flight on the
 * connection, which serves one agent only (see `UpstreamPool.forAgent`); with several in flight,
 * which one asks cannot be known, and it is refused rather than guessed.
 */
function relayTarget(inFlight: readonly InFlight[]): RelayTarget {
  if (inFlight.length === 0) throw new RelayRefusal('no call is in flight to relay it to');
  if (inFlight.length > 1) {
    throw new RelayRefusal(
      `${inFlight.length} requests are in flight on this connection and Warden cannot tell which one asks`,
    );
  }
  const [only] = inFlight;
  if (!only?.relay) throw new RelayRefusal('only requests sent during a tools/call are relayed');
  return only.relay;
}
