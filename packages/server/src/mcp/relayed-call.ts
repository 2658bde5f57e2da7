import { randomUUID } from 'node:crypto';
import {
  type CallToolResult,
  type ClientCapabilities,
  type InputRequest,
  type InputRequiredResult,
  inputRequired,
  isInputRequiredResult,
  type Result,
} from '@modelcontextprotocol/server';
import { RelayRefusal, type RelayTarget, type UpstreamAsk } from './upstream-asks.js';

/** A call that ended while the agent was between rounds stays this long for its retry to collect. */
export const SETTLED_KEEP_MS = 60_000;
/** Questions one call's upstream may have waiting for the agent at once; more are refused. */
export const MAX_OPEN_ASKS = 8;

/** The agent's request that is waiting on the call now (the first, or a retry with answers). */
export interface AgentRound {
  /** Aborted when the agent cancels: the call is cancelled upstream. */
  readonly signal: AbortSignal;
  readonly onProgress?: (progress: number, total?: number, message?: string) => void;
  /** What the agent's client declared (2026-07-28: on this request; 2025: at `initialize`). */
  readonly capabilities: ClientCapabilities | undefined;
}

/** Whose call it is: a retry continues it only for the same agent, tool and arguments. */
export interface CallOwner {
  readonly tenantId: string;
  readonly agentId: string;
  readonly tool: string;
  readonly args: Record<string, unknown> | undefined;
}

/** Runs the call upstream (once), its sampling and elicitation requests going to `relay`. */
export type RunUpstream = (
  relay: RelayTarget,
  signal: AbortSignal,
  onProgress: (progress: number, total?: number, message?: string) => void,
) => Promise<CallToolResult>;

interface PendingAsk {
  readonly key: string;
  readonly ask: UpstreamAsk;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: Error) => void;
  /** Handed to the agent; answered by its next retry. */
  sent: boolean;
}

/**
 * A tool call whose upstream may ask the agent for sampling or elicitation while it runs. The agent's
 * client learns of a question the 2026-07-28 way, whatever its protocol era: its `tools/call` is
 * answered `input_required` with the question, and its retry (same tool, same arguments, the answers
 * and this call's `requestState`) continues the call, which was never stopped upstream. A 2025 client
 * gets the same questions as server-to-client requests on its call's stream (the SDK's shim re-enters
 * the handler with the answers), so both eras run this one path.
 */
class RelayedCall implements RelayTarget {
  readonly id = randomUUID();
  private readonly asks = new Map<string, PendingAsk>();
  private readonly abort = new AbortController();
  private asked = 0;
  private result: CallToolResult | undefined;
  private wake: (() => void) | undefined;
  private progress: AgentRound['onProgress'];
  /** An agent request is waiting on it now (only one at a time may). */
  waiting = false;

  constructor(
    readonly owner: CallOwner,
    run: RunUpstream,
    private readonly onSettled: (call: RelayedCall) => void,
  ) {
    run(this, this.abort.signal, (progress, total, message) =>
      this.progress?.(progress, total, message),
    ).then(
      (result) => this.settle(result),
      // `run` answers its failures as tool errors; this is only a last resort.
      () => this.settle({ isError: true, content: [{ type: 'text', text: 'The call failed upstream.' }] }),
    );
  }

  /** The upstream asks, during this call: held until the agent's request waiting on the call takes it. */
  ask(ask: UpstreamAsk, signal: AbortSignal): Promise<Result> {
    if (this.result) return Promise.reject(new RelayRefusal('the call it was sent during has ended'));
    if (this.asks.size >= MAX_OPEN_ASKS) {
      return Promise.reject(new RelayRefusal(`${MAX_OPEN_ASKS} of its requests already wait for the agent`));
    }
    return new Promise((resolve, reject) => {
      this.asked += 1;
      const pending: PendingAsk = { key: `ask-${this.asked}`, ask, resolve, reject, sent: false };
      this.asks.set(pending.key, pending);
      signal.addEventListener('abort', () => this.refuse(pending, 'the upstream cancelled it'), {
        once: true,
      });
      this.wake?.();
    });
  }

  /** The agent's answers (its retry's `inputResponses`) to the questions it was sent. */
  answer(responses: Readonly<Record<string, unknown>> | undefined): void {
    for (const pending of [...this.asks.values()]) {
      if (!pending.sent) continue;
      const response = responses?.[pending.key];
      this.asks.delete(pending.key);
      if (response === undefined) pending.reject(new RelayRefusal("the agent's client gave no answer"));
      else pending.resolve(response as Result);
    }
  }

  /**
   * Waits, for the agent request in `round`, for the call's result or the upstream's next questions.
   * A question the agent's client cannot answer (it did not declare the capability) is refused to the
   * upstream here, and the call goes on.
   */
  async next(round: AgentRound): Promise<CallToolResult | InputRequiredResult> {
    const cancel = () => this.abort.abort();
    if (round.signal.aborted) cancel();
    round.signal.addEventListener('abort', cancel, { once: true });
    this.progress = round.onProgress;
    try {
      for (;;) {
        if (this.result) return this.result;
        const questions = this.take(round.capabilities);
        if (questions.length > 0) {
          return inputRequired({
            inputRequests: Object.fromEntries(
              questions.map(({ key, ask }) => [
                key,
                { method: ask.method, params: ask.params } as InputRequest,
              ]),
            ),
            requestState: this.id,
          });
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      round.signal.removeEventListener('abort', cancel);
      this.progress = undefined;
      this.wake = undefined;
    }
  }

  /** The questions not yet sent that the agent's client can answer; the others are refused. */
  private take(capabilities: ClientCapabilities | undefined): PendingAsk[] {
    const taken: PendingAsk[] = [];
    for (const pending of this.asks.values()) {
      if (pending.sent) continue;
      const missing = missingCapability(capabilities, pending.ask);
      if (missing) {
        this.refuse(pending, `the agent's client did not declare the ${missing} capability`);
        continue;
      }
      pending.sent = true;
      taken.push(pending);
    }
    return taken;
  }

  private refuse(pending: PendingAsk, reason: string): void {
    if (this.asks.get(pending.key) !== pending) return;
    this.asks.delete(pending.key);
    pending.reject(new RelayRefusal(reason));
  }

  private settle(result: CallToolResult): void {
    this.result = result;
    for (const pending of [...this.asks.values()])
      this.refuse(pending, 'the call it was sent during has ended');
    this.wake?.();
    this.onSettled(this);
  }
}

/** What the agent's client must have declared to be asked this (MCP's own capability rules). */
function missingCapability(declared: ClientCapabilities | undefined, ask: UpstreamAsk): string | undefined {
  if (ask.method === 'sampling/createMessage') {
    if (!declared?.sampling) return 'sampling';
    const withTools = ask.params?.tools !== undefined || ask.params?.toolChoice !== undefined;
    return withTools && !declared.sampling.tools ? 'sampling.tools' : undefined;
  }
  if (ask.method === 'elicitation/create') {
    // A bare `elicitation: {}` is the 2025 form-mode declaration; Warden relays form mode only.
    const elicitation = declared?.elicitation;
    if (!elicitation) return 'elicitation';
    return Object.keys(elicitation).length === 0 || elicitation.form ? undefined : 'elicitation.form';
  }
  return ask.method;
}

/**
 * The tool calls of this node whose upstream may ask their agent for input, by `requestState`, while
 * their agent is between rounds. A retry must reach the node its call runs on (in a cluster, sticky
 * routing by agent, as 2025 sessions need too); elsewhere it is told the call is not found there.
 */
export class RelayedCalls {
  private readonly parked = new Map<string, RelayedCall>();

  constructor(private readonly keepMs = SETTLED_KEEP_MS) {}

  /** Starts a call and waits, for the agent's first request, for its result or first questions. */
  begin(
    owner: CallOwner,
    run: RunUpstream,
    round: AgentRound,
  ): Promise<CallToolResult | InputRequiredResult> {
    const call = new RelayedCall(owner, run, (settled) => this.expireLater(settled));
    return this.step(call, round);
  }

  /**
   * Continues the call a retry names with its answers, or `undefined` when there is none for it here:
   * unknown, ended and collected, another agent's, or another tool or arguments (indistinguishable to
   * the caller, so a guessed id says nothing about other agents' calls).
   */
  resume(
    state: string,
    owner: CallOwner,
    responses: Readonly<Record<string, unknown>> | undefined,
    round: AgentRound,
  ): Promise<CallToolResult | InputRequiredResult> | undefined {
    const call = this.parked.get(state);
    if (!call || call.waiting || !sameOwner(call.owner, owner)) return undefined;
    call.answer(responses);
    return this.step(call, round);
  }

  /** Forgets every parked call (the node is stopping; their upstream calls end with the pool). */
  clear(): void {
    this.parked.clear();
  }

  private async step(call: RelayedCall, round: AgentRound): Promise<CallToolResult | InputRequiredResult> {
    call.waiting = true;
    try {
      const answer = await call.next(round);
      if (isInputRequiredResult(answer)) this.parked.set(call.id, call);
      else this.parked.delete(call.id);
      return answer;
    } finally {
      call.waiting = false;
    }
  }

  /** A call that ends while its agent is between rounds is kept a while for the retry, then dropped. */
  private expireLater(call: RelayedCall): void {
    setTimeout(() => {
      if (!call.waiting && this.parked.get(call.id) === call) this.parked.delete(call.id);
    }, this.keepMs).unref();
  }
}

function sameOwner(a: CallOwner, b: CallOwner): boolean {
  return (
    a.tenantId === b.tenantId &&
    a.agentId === b.agentId &&
    a.tool === b.tool &&
    JSON.stringify(a.args ?? {}) === JSON.stringify(b.args ?? {})
  );
}
