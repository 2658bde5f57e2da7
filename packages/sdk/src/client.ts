import { type AgentApproval, followEvents, longPoll } from './approvals.js';
import { WardenDenied, WardenInputError } from './errors.js';
import type {
  AccessRequestBody,
  AccessRequestCreated,
  DecideRequest,
  Decision,
  OutcomeRecorded,
  OutcomeRequest,
  SpawnedAgent,
  SpawnRequest,
} from './generated/api.js';
import { currentTask, type DecideContext, runInTask, type TaskContext } from './task.js';
import { describe, type RetryOptions, Transport, WardenUnreachable } from './transport.js';
import type { JsonObject } from './validate.js';
import * as check from './validate.js';

export const SDK_VERSION = '0.1.0';

/** What to do when Warden cannot be reached at all (no answer within the retry budget). */
export type UnavailablePolicy = 'deny' | 'allow';

export interface WardenOptions {
  /** The node's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The agent's key (`wdn_a_…`). */
  readonly agentKey: string;
  /** Context every decide call carries (e.g. `environment`, `interface`); a task's and a call's win. */
  readonly context?: DecideContext;
  /**
   * When Warden gives no answer at all (refused connection, timeout) after the retries: `deny`
   * (the default: `WardenDenied` with `governance_unavailable`) or `allow` (the call runs ungoverned
   * and a process warning says so). A function decides per tool. An answer from Warden — any 4xx
   * or 5xx — is never turned into an allow.
   */
  readonly onUnavailable?:
    | UnavailablePolicy
    | ((info: { tool: string; error: WardenUnreachable }) => UnavailablePolicy);
  /** Retries when Warden answers 502/503/504 or not at all. */
  readonly retry?: RetryOptions;
  /** Per-attempt timeout of a request (default 10 s; long-polls wait longer). */
  readonly timeoutMs?: number;
  /** A failed outcome report after a guarded call ran (default: a process warning). */
  readonly onOutcomeError?: (error: unknown, info: { decisionId: string; tool: string }) => void;
  /** The fetch to use (default: Node's). */
  readonly fetch?: typeof fetch;
}

/** What a call is expected to cost; reserved against the budgets that apply until its outcome. */
export interface Estimate {
  readonly usd?: number;
  readonly tokens?: number;
  readonly records?: number;
}

export interface DecideInput {
  readonly tool: string;
  readonly args?: JsonObject;
  readonly context?: DecideContext;
  readonly estimate?: Estimate;
  readonly approvalId?: string;
  readonly delegation?: DecideRequest['delegation'];
}

export interface GuardOptions<A extends unknown[], R> {
  /** The call's arguments as Warden sees them (default: the single object argument, else `{args: [...]}`). */
  readonly argsOf?: (...args: A) => JsonObject;
  /** The expected cost, fixed or from the arguments. */
  readonly estimate?: Estimate | ((...args: A) => Estimate | undefined);
  /** The actual cost, from the result; reported with the outcome (settles the reservation). */
  readonly costOf?: (result: R) => Estimate | undefined;
  /** What to store as the outcome's `output` (default: nothing; outputs may be sensitive). */
  readonly outputOf?: (result: R) => unknown;
  /** A result that reports a failure without throwing (a framework's error message): the error to record. */
  readonly failureOf?: (result: R) => string | undefined;
  /** Extra context for this tool's calls. */
  readonly context?: DecideContext;
  /** Stops waiting for a human after this long: the call is denied (`approval_pending`). */
  readonly approvalTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** How a governed call may go ahead: the decision it runs under, or ungoverned when Warden was unreachable and the caller allowed that. */
export type Clearance =
  | { readonly kind: 'decided'; readonly decision: Decision; readonly approvalId?: string }
  | { readonly kind: 'ungoverned'; readonly error: WardenUnreachable };

/**
 * Warden's client for an agent built in code: one per agent key. Every method validates its input
 * before the network, retries while Warden is unavailable, and fails closed.
 */
export class Warden {
  readonly options: WardenOptions;
  private readonly transport: Transport;

  constructor(options: WardenOptions) {
    if (typeof options !== 'object' || options === null)
      throw new WardenInputError('options', 'must be an object');
    const url = parseUrl(options.url);
    if (typeof options.agentKey !== 'string' || !/^wdn_a_[A-Za-z0-9_-]{8,}$/.test(options.agentKey)) {
      throw new WardenInputError(
        'agentKey',
        typeof options.agentKey === 'string' && options.agentKey.startsWith('wdn_u_')
          ? 'is a human API token; the SDK acts as an agent and needs an agent key (wdn_a_…)'
          : 'must be an agent key (wdn_a_…)',
      );
    }
    if (options.context !== undefined) checkContext(options.context, 'context');
    const retry = {
      attempts: options.retry?.attempts ?? 4,
      baseDelayMs: options.retry?.baseDelayMs ?? 100,
      maxDelayMs: options.retry?.maxDelayMs ?? 2_000,
      budgetMs: options.retry?.budgetMs ?? 10_000,
    };
    check.amount(retry.attempts, 'retry.attempts', 100, true, 1);
    check.amount(retry.baseDelayMs, 'retry.baseDelayMs', 60_000);
    check.amount(retry.maxDelayMs, 'retry.maxDelayMs', 600_000);
    check.amount(retry.budgetMs, 'retry.budgetMs', 3_600_000);
    const timeoutMs = check.amount(options.timeoutMs ?? 10_000, 'timeoutMs', 3_600_000, false, 1);
    const onUnavailable = options.onUnavailable ?? 'deny';
    if (typeof onUnavailable !== 'function' && onUnavailable !== 'deny' && onUnavailable !== 'allow') {
      throw new WardenInputError('onUnavailable', "must be 'deny', 'allow' or a function");
    }
    this.options = options;
    this.transport = new Transport({
      url,
      agentKey: options.agentKey,
      retry,
      timeoutMs,
      fetch: options.fetch ?? globalThis.fetch,
      userAgent: `warden-sdk/${SDK_VERSION} node/${process.versions.node}`,
    });
  }

  /** A client for another agent (a spawned child's key) with the same options. */
  withKey(agentKey: string): Warden {
    return new Warden({ ...this.options, agentKey });
  }

  /**
   * `POST /v1/decide`: may this agent make this call? Answers Warden's decision (allow, review or
   * deny are all answers). Throws `WardenUnreachable` (a `WardenDenied` with
   * `governance_unavailable`) when Warden cannot decide, `WardenRequestError` for a refused request.
   */
  async decide(input: DecideInput, options: { signal?: AbortSignal } = {}): Promise<Decision> {
    const body = this.decideBody(input);
    return (await this.transport.json<Decision>({ method: 'POST', path: '/v1/decide', body, ...options }))
      .body;
  }

  /** `POST /v1/decisions/:id/outcome`: what happened after an allowed call, once. */
  async reportOutcome(decisionId: string, outcome: OutcomeRequest): Promise<OutcomeRecorded> {
    check.decisionId(decisionId);
    const body = checkOutcome(outcome);
    return (
      await this.transport.json<OutcomeRecorded>({
        method: 'POST',
        path: `/v1/decisions/${decisionId}/outcome`,
        body,
      })
    ).body;
  }

  /**
   * Waits until a human settles the approval request (`approved`, `denied`, `expired`, …) and
   * answers it: follows its Server-Sent Events, falling back to long-polling when the stream cannot
   * be used. Works for action and access requests alike. `signal` stops the wait (it rejects with
   * the signal's reason).
   */
  async waitForApproval(id: string, options: { signal?: AbortSignal } = {}): Promise<AgentApproval> {
    check.approvalId(id, 'id');
    const own = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
    try {
      return (await followEvents(this.transport, id, signal)) ?? (await longPoll(this.transport, id, signal));
    } finally {
      own.abort();
    }
  }

  /** `POST /v1/access-requests`: asks the agent's owner, then security, for temporary access to tools. */
  async requestAccess(request: AccessRequestBody): Promise<AccessRequestCreated> {
    if (!check.isPlainObject(request)) throw new WardenInputError('request', 'must be an object');
    const { tools, justification, durationSeconds } = request;
    if (!Array.isArray(tools) || tools.length < 1 || tools.length > 50) {
      throw new WardenInputError('tools', 'must be a list of 1 to 50 tool names or globs');
    }
    tools.forEach((tool, i) => {
      if (typeof tool !== 'string' || !/^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,199}$/.test(tool)) {
        throw new WardenInputError(
          `tools[${i}]`,
          'must be a tool name or glob (letters, digits, _ . : / * -)',
        );
      }
    });
    check.text(justification, 'justification', 2000);
    check.amount(durationSeconds, 'durationSeconds', Number.MAX_SAFE_INTEGER, true, 60);
    const body = { tools: [...tools], justification, durationSeconds };
    return (
      await this.transport.json<AccessRequestCreated>({ method: 'POST', path: '/v1/access-requests', body })
    ).body;
  }

  /** `POST /v1/agents/spawn`: registers a sub-agent holding no more than this one; `secret` is its key. */
  async spawn(request: SpawnRequest): Promise<SpawnedAgent> {
    if (!check.isPlainObject(request)) throw new WardenInputError('request', 'must be an object');
    if (typeof request.name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,99}$/.test(request.name)) {
      throw new WardenInputError(
        'name',
        'must be 1 to 100 lower-case letters, digits or ._- (starting with a letter or digit)',
      );
    }
    check.text(request.purpose, 'purpose', 2000);
    if (request.maxChildren !== undefined) check.amount(request.maxChildren, 'maxChildren', 1000, true);
    check.jsonObject(request, 'request');
    return (
      await this.transport.json<SpawnedAgent>({ method: 'POST', path: '/v1/agents/spawn', body: request })
    ).body;
  }

  /**
   * Runs `fn` inside a task: every decide call it makes (through any number of awaits) carries
   * `taskId`, `initiator`, `onBehalfOf` and the rest. A task inside another is its child.
   */
  task<T>(context: TaskContext, fn: () => T): T {
    checkContext(context, 'task');
    if (context.taskId === undefined) throw new WardenInputError('task.taskId', 'is required');
    return runInTask(context, fn);
  }

  /**
   * Wraps `fn` so that every call is governed: decide → (a review waits for the human, then uses
   * the approval) → run → report the outcome (duration, error, cost). A deny, a rejected or expired
   * review, or an unreachable Warden throws `WardenDenied` and `fn` does not run.
   */
  guard<A extends unknown[], R>(
    tool: string,
    fn: (...args: A) => R | Promise<R>,
    options: GuardOptions<A, R> = {},
  ): (...args: A) => Promise<R> {
    check.toolName(tool);
    if (typeof fn !== 'function') throw new WardenInputError('fn', 'must be a function');
    if (options.context !== undefined) checkContext(options.context, 'options.context');
    if (options.approvalTimeoutMs !== undefined) {
      check.amount(options.approvalTimeoutMs, 'options.approvalTimeoutMs', 2 ** 31 - 1);
    }
    if (options.estimate !== undefined && typeof options.estimate !== 'function')
      checkEstimate(options.estimate);
    return async (...args: A): Promise<R> => {
      const callArgs = options.argsOf ? options.argsOf(...args) : defaultArgs(args);
      const estimate = typeof options.estimate === 'function' ? options.estimate(...args) : options.estimate;
      const clearance = await this.clear(
        {
          tool,
          args: callArgs,
          ...(options.context ? { context: options.context } : {}),
          ...(estimate ? { estimate } : {}),
        },
        options,
      );
      return this.run(tool, clearance, () => fn(...args), options);
    };
  }

  /**
   * The decide half of `guard()`: decides the call and, for a review, waits for the human and uses
   * the approval. Answers how the call may go ahead, or throws `WardenDenied`.
   */
  async clear(
    input: DecideInput,
    options: { approvalTimeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Clearance> {
    let decision: Decision;
    try {
      decision = await this.decide(input, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (
        error instanceof WardenUnreachable &&
        error.noAnswer &&
        this.unavailable(input.tool, error) === 'allow'
      ) {
        process.emitWarning(
          `Warden unreachable; ${input.tool} runs ungoverned: ${error.message}`,
          'WardenFailOpen',
        );
        return { kind: 'ungoverned', error };
      }
      throw error;
    }
    return this.settle(input, decision, options);
  }

  /**
   * Turns a decision into a clearance: an allow goes ahead; a deny throws; a review in `pre` mode
   * waits for the human and, once approved, decides again with the approval (which that decision
   * uses up); a `post` review goes ahead and is reviewed afterwards.
   */
  async settle(
    input: DecideInput,
    decision: Decision,
    options: { approvalTimeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Clearance> {
    if (decision.effect === 'allow') return { kind: 'decided', decision };
    const request = decision.approvalRequest;
    if (decision.effect === 'deny' || !request) {
      throw new WardenDenied(decision.code, decision.reason, {
        decision,
        ...(request ? { approvalId: request.id } : {}),
      });
    }
    if (request.mode !== 'pre') return { kind: 'decided', decision, approvalId: request.id };
    const approval = await this.awaitHuman(request.id, options);
    if (approval.status !== 'approved') {
      const code = approval.status === 'denied' ? 'approval_denied' : 'approval_expired';
      const comment = approval.comment ? `: ${approval.comment}` : '';
      throw new WardenDenied(code, `The request for ${input.tool} was ${approval.status}${comment}`, {
        approvalId: request.id,
        decision,
      });
    }
    const approved = await this.decide({ ...input, approvalId: request.id });
    if (approved.effect !== 'allow') {
      throw new WardenDenied(approved.code, approved.reason, { approvalId: request.id, decision: approved });
    }
    return { kind: 'decided', decision: approved, approvalId: request.id };
  }

  /** Runs a cleared call and reports its outcome: duration, error or cost. */
  async run<R>(
    tool: string,
    clearance: Clearance,
    fn: () => R | Promise<R>,
    options: Pick<GuardOptions<never, R>, 'costOf' | 'outputOf' | 'failureOf'> = {},
  ): Promise<R> {
    if (clearance.kind === 'ungoverned') return fn();
    const decisionId = clearance.decision.decisionId;
    const started = performance.now();
    let result: R;
    try {
      result = await fn();
    } catch (error) {
      await this.outcome(tool, decisionId, {
        status: 'failed',
        error: describe(error).slice(0, 10_000),
        durationMs: Math.round(performance.now() - started),
      });
      throw error;
    }
    const failure = options.failureOf?.(result);
    const cost = options.costOf?.(result);
    const output = options.outputOf?.(result);
    await this.outcome(tool, decisionId, {
      status: failure === undefined ? 'succeeded' : 'failed',
      ...(failure === undefined ? {} : { error: failure.slice(0, 10_000) }),
      durationMs: Math.round(performance.now() - started),
      ...(cost?.usd !== undefined ? { costUsd: cost.usd } : {}),
      ...(cost?.tokens !== undefined ? { tokens: cost.tokens } : {}),
      ...(cost?.records !== undefined ? { records: cost.records } : {}),
      ...(output !== undefined ? { output } : {}),
    });
    return result;
  }

  private async outcome(tool: string, decisionId: string, outcome: OutcomeRequest): Promise<void> {
    try {
      await this.reportOutcome(decisionId, outcome);
    } catch (error) {
      if (this.options.onOutcomeError) this.options.onOutcomeError(error, { decisionId, tool });
      else
        process.emitWarning(
          `Warden: the outcome of ${tool} (${decisionId}) was not recorded: ${describe(error)}`,
        );
    }
  }

  private async awaitHuman(
    id: string,
    options: { approvalTimeoutMs?: number; signal?: AbortSignal },
  ): Promise<AgentApproval> {
    const signals = [
      options.signal,
      options.approvalTimeoutMs ? AbortSignal.timeout(options.approvalTimeoutMs) : undefined,
    ].filter((s): s is AbortSignal => s !== undefined);
    try {
      return await this.waitForApproval(id, signals.length > 0 ? { signal: AbortSignal.any(signals) } : {});
    } catch (error) {
      if (options.signal?.aborted || !(error instanceof DOMException && error.name === 'TimeoutError'))
        throw error;
      throw new WardenDenied(
        'approval_pending',
        `No human decided on ${id} within ${options.approvalTimeoutMs} ms`,
        {
          approvalId: id,
        },
      );
    }
  }

  private unavailable(tool: string, error: WardenUnreachable): UnavailablePolicy {
    const policy = this.options.onUnavailable ?? 'deny';
    return typeof policy === 'function' ? policy({ tool, error }) : policy;
  }

  private decideBody(input: DecideInput): DecideRequest {
    if (!check.isPlainObject(input)) throw new WardenInputError('input', 'must be an object');
    const tool = check.toolName(input.tool);
    const args = input.args === undefined ? {} : check.jsonObject(input.args, 'args');
    if (input.context !== undefined) checkContext(input.context, 'context');
    const context = { ...this.options.context, ...currentTask(), ...input.context };
    const body: DecideRequest = { tool, args };
    if (Object.keys(context).length > 0) body.context = context;
    if (input.estimate !== undefined) body.estimate = checkEstimate(input.estimate);
    if (input.approvalId !== undefined) body.approvalId = check.approvalId(input.approvalId);
    if (input.delegation !== undefined) body.delegation = checkDelegation(input.delegation);
    return body;
  }
}

function parseUrl(value: unknown): string {
  if (typeof value !== 'string') throw new WardenInputError('url', 'must be a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WardenInputError('url', `is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WardenInputError('url', 'must be http(s)');
  if (url.search || url.hash) throw new WardenInputError('url', 'must not have a query or fragment');
  if (url.username || url.password)
    throw new WardenInputError('url', 'must not carry credentials; pass agentKey');
  return url.toString();
}

const CONTEXT_TEXT: Record<string, number> = {
  initiator: 256,
  onBehalfOf: 256,
  interface: 64,
  model: 200,
  modelVersion: 200,
  promptVersion: 200,
  toolVersion: 200,
};

function checkContext(context: unknown, field: string): DecideContext {
  if (!check.isPlainObject(context)) throw new WardenInputError(field, 'must be an object');
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined) continue;
    const at = `${field}.${key}`;
    if (key === 'taskId' || key === 'parentTaskId') check.taskId(value, at);
    else if (key === 'environment') {
      if (value !== 'sandbox' && value !== 'staging' && value !== 'production') {
        throw new WardenInputError(at, 'must be sandbox, staging or production');
      }
    } else if (key === 'reasoning' || key === 'recommendation') check.text(value, at, 20_000, 0);
    else if (key === 'signals') check.signals(value, at);
    else if (CONTEXT_TEXT[key] !== undefined) check.text(value, at, CONTEXT_TEXT[key]);
    else throw new WardenInputError(at, 'is not a context field Warden knows');
  }
  return context as DecideContext;
}

function checkEstimate(estimate: unknown): Estimate {
  if (!check.isPlainObject(estimate)) throw new WardenInputError('estimate', 'must be an object');
  for (const key of Object.keys(estimate)) {
    if (key !== 'usd' && key !== 'tokens' && key !== 'records') {
      throw new WardenInputError(`estimate.${key}`, 'is not an estimate field (usd, tokens, records)');
    }
  }
  const out: { usd?: number; tokens?: number; records?: number } = {};
  if (estimate.usd !== undefined) out.usd = check.amount(estimate.usd, 'estimate.usd', 1e9);
  if (estimate.tokens !== undefined)
    out.tokens = check.amount(estimate.tokens, 'estimate.tokens', 1e12, true);
  if (estimate.records !== undefined)
    out.records = check.amount(estimate.records, 'estimate.records', 1e12, true);
  return out;
}

function checkDelegation(delegation: unknown): NonNullable<DecideRequest['delegation']> {
  if (!Array.isArray(delegation) || delegation.length > 32) {
    throw new WardenInputError('delegation', 'must be a list of at most 32 entries');
  }
  return delegation.map((entry: unknown, i) => {
    const at = `delegation[${i}]`;
    if (typeof entry === 'string') return check.agentId(entry, at);
    if (!check.isPlainObject(entry))
      throw new WardenInputError(at, 'must be an agent id or {agentId, grant}');
    const agentId = check.agentId(entry.agentId, `${at}.agentId`);
    return entry.grant === undefined
      ? { agentId }
      : { agentId, grant: check.grantId(entry.grant, `${at}.grant`) };
  });
}

function checkOutcome(outcome: unknown): OutcomeRequest {
  if (!check.isPlainObject(outcome)) throw new WardenInputError('outcome', 'must be an object');
  if (outcome.status !== 'succeeded' && outcome.status !== 'failed') {
    throw new WardenInputError('outcome.status', "must be 'succeeded' or 'failed'");
  }
  if (outcome.error !== undefined) check.text(outcome.error, 'outcome.error', 10_000, 0);
  if (outcome.costUsd !== undefined) check.amount(outcome.costUsd, 'outcome.costUsd', 1_000_000);
  if (outcome.tokens !== undefined) check.amount(outcome.tokens, 'outcome.tokens', 1e12, true);
  if (outcome.records !== undefined) check.amount(outcome.records, 'outcome.records', 1e12, true);
  if (outcome.durationMs !== undefined)
    check.amount(outcome.durationMs, 'outcome.durationMs', 86_400_000 * 30, true);
  if (outcome.output !== undefined) check.jsonObject({ output: outcome.output }, 'outcome');
  return outcome as OutcomeRequest;
}

function defaultArgs(args: readonly unknown[]): JsonObject {
  if (args.length === 0) return {};
  if (args.length === 1 && check.isPlainObject(args[0])) return check.jsonObject(args[0], 'args');
  return check.jsonObject({ args: [...args] }, 'args');
}
