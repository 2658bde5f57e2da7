import { WardenDenied, WardenError, WardenRequestError } from './errors.js';
import type { ErrorEnvelope } from './generated/api.js';

/** How the SDK retries when Warden is unavailable (503, 502, 504, or no connection). */
export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  readonly attempts?: number;
  /** The first backoff; each next one doubles, with jitter (default 100 ms). */
  readonly baseDelayMs?: number;
  /** The longest single backoff (default 2000 ms). */
  readonly maxDelayMs?: number;
  /** Retries stop once this much time has passed since the first attempt (default 10 s). */
  readonly budgetMs?: number;
}

export interface TransportOptions {
  readonly url: string;
  readonly agentKey: string;
  readonly retry: Required<RetryOptions>;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly userAgent: string;
}

/** Warden could not be reached (or kept answering 503) within the retry budget. */
export class WardenUnreachable extends WardenDenied {
  /** True when no answer came at all (a connection error or a timeout), false for a 5xx. */
  readonly noAnswer: boolean;

  constructor(message: string, noAnswer: boolean, cause?: unknown) {
    super('governance_unavailable', message, { cause });
    this.name = 'WardenUnreachable';
    this.noAnswer = noAnswer;
  }
}

const RETRY_STATUSES = new Set([502, 503, 504]);

export interface Call {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Overrides the transport's per-attempt timeout (a long-poll waits longer). */
  readonly timeoutMs?: number;
  /** Statuses that are answers, not errors (e.g. 409 for an outcome already recorded on a retry). */
  readonly accept?: (status: number, attempt: number) => boolean;
}

/** JSON over Node's fetch: bearer key, a timeout per attempt, retries with backoff when Warden is unavailable. */
export class Transport {
  readonly base: string;

  constructor(readonly options: TransportOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      authorization: `Bearer ${this.options.agentKey}`,
      'user-agent': this.options.userAgent,
      ...extra,
    };
  }

  async json<T>(call: Call): Promise<{ status: number; body: T }> {
    const { attempts, baseDelayMs, maxDelayMs, budgetMs } = this.options.retry;
    const started = Date.now();
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    let last: WardenUnreachable | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      call.signal?.throwIfAborted();
      const result = await this.once<T>(call, payload, attempt);
      if (result.ok) return result;
      last = result.error;
      const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      if (attempt === attempts || Date.now() - started + delay > budgetMs) break;
      await sleep(delay, call.signal);
    }
    throw last ?? new WardenUnreachable('Warden could not be reached', true);
  }

  private async once<T>(
    call: Call,
    payload: string | undefined,
    attempt: number,
  ): Promise<{ ok: true; status: number; body: T } | { ok: false; error: WardenUnreachable }> {
    // A plain timer and controller per attempt: AbortSignal.timeout() costs more on the hot path.
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new Error('timed out')),
      call.timeoutMs ?? this.options.timeoutMs,
    );
    const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
    let res: Response;
    let text: string;
    try {
      try {
        res = await this.options.fetch(`${this.base}${call.path}`, {
          method: call.method,
          headers: this.headers(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...(payload === undefined ? {} : { body: payload }),
          signal,
        });
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        const what = timeout.signal.aborted ? 'did not answer in time' : 'could not be reached';
        return {
          ok: false,
          error: new WardenUnreachable(`Warden ${what} (${this.base}): ${describe(error)}`, true, error),
        };
      }
      try {
        text = await res.text();
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        return {
          ok: false,
          error: new WardenUnreachable(`Warden's answer broke off: ${describe(error)}`, true, error),
        };
      }
    } finally {
      clearTimeout(timer);
    }
    if (res.ok || call.accept?.(res.status, attempt)) {
      try {
        return { ok: true, status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
      } catch (error) {
        throw new WardenError(
          'invalid_response',
          `Warden answered ${res.status} with a body that is not JSON`,
          {
            cause: error,
          },
        );
      }
    }
    const envelope = parseEnvelope(text);
    if (RETRY_STATUSES.has(res.status)) {
      const message = envelope?.error.message ?? `Warden answered ${res.status}`;
      return { ok: false, error: new WardenUnreachable(message, false) };
    }
    throw new WardenRequestError(
      res.status,
      envelope?.error.code ?? `http_${res.status}`,
      envelope?.error.message ?? `Warden answered ${res.status}`,
      {
        ...(envelope?.error.requestId ? { requestId: envelope.error.requestId } : {}),
        ...(envelope?.error.details ? { details: envelope.error.details } : {}),
      },
    );
  }
}

function parseEnvelope(text: string): ErrorEnvelope | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<ErrorEnvelope>;
    return parsed?.error && typeof parsed.error.code === 'string' ? (parsed as ErrorEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
