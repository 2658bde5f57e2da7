import type { IncomingHttpHeaders } from 'node:http';
import type { Costing, ModelUsage } from '../costing.js';
import { providerFailure, pumpStream, readText, sendToProvider } from '../http/provider-fetch.js';
import type { ApiAdapter } from '../http/proxy-call.js';
import type { ModelRoute } from '../model-route.js';

/** What the shadow model answered, priced like any call. */
export interface ShadowAnswer {
  readonly status: 'succeeded' | 'failed';
  readonly usage?: ModelUsage;
  readonly costUsd: number;
  readonly tokens: number;
  readonly answer: string;
  readonly toolCalls: readonly string[];
  readonly latencyMs: number;
  readonly firstTokenMs?: number;
  readonly error?: string;
}

/**
 * Sends the shadow call the way the agent's own went (streamed if it streamed, so the two compare
 * like for like) and reads the answer to its end, to nobody. Priced from the provider's usage, or
 * from what came when a stream broke; a failure the provider did not bill costs nothing.
 */
export async function askShadow<B>(input: {
  readonly adapter: ApiAdapter<B>;
  readonly body: B;
  readonly route: ModelRoute;
  readonly costing: Costing;
  readonly inputTokens: number;
  readonly stream: boolean;
  readonly incoming: IncomingHttpHeaders;
  readonly key: () => Promise<string>;
  /** Aborted when the node shuts down. */
  readonly stop: AbortSignal;
}): Promise<ShadowAnswer> {
  const { adapter, body, route, costing } = input;
  const provider = route.provider;
  const started = performance.now();
  const answered = (
    status: ShadowAnswer['status'],
    usage: ModelUsage | undefined,
    answer: string,
    toolCalls: readonly string[],
    extra: { firstTokenMs?: number; error?: string } = {},
  ): ShadowAnswer => ({
    status,
    ...(usage ? { usage } : {}),
    costUsd: usage ? costing.costUsd(usage) : 0,
    tokens: usage ? costing.tokens(usage) : 0,
    answer,
    toolCalls,
    latencyMs: performance.now() - started,
    ...extra,
  });
  const failed = (error: string) => answered('failed', undefined, '', [], { error });
  const because = (error: unknown) =>
    input.stop.aborted ? 'the node shut down' : error instanceof Error ? error.message : String(error);

  let key: string;
  try {
    key = await input.key();
  } catch {
    return failed(`the key of provider ${provider.name} cannot be read`);
  }
  const outgoing = adapter.upstream(body, route, key, input.incoming);
  let exchange: Awaited<ReturnType<typeof sendToProvider>>;
  try {
    exchange = await sendToProvider({
      ...outgoing,
      timeoutMs: provider.timeoutMs,
      clientGone: input.stop,
      provider: provider.name,
      publicOnly: provider.publicOnly === true,
    });
  } catch (error) {
    return failed(because(error));
  }
  const { response, timeout } = exchange;
  if (!response.ok) {
    await response.discard().catch(() => undefined);
    return failed(`provider ${provider.name} answered ${response.status}`);
  }
  if (!input.stream) {
    try {
      const answer: unknown = JSON.parse(await readText(response, timeout, provider));
      const text = adapter.answerText(answer);
      const usage = adapter.usageOf(answer) ?? costing.counted(input.inputTokens, text);
      return answered('succeeded', usage, text, adapter.toolCallsOf(answer));
    } catch (error) {
      return failed(
        error instanceof SyntaxError
          ? `provider ${provider.name} answered with something that is not JSON`
          : because(error),
      );
    }
  }
  const tally = adapter.tally(body);
  let firstTokenMs: number | undefined;
  let broken: string | undefined;
  try {
    await pumpStream(response, tally, () => {
      firstTokenMs ??= performance.now() - started;
    });
    if (!tally.finished()) broken = `provider ${provider.name} ended the stream before it was complete`;
  } catch (error) {
    broken = input.stop.aborted
      ? 'the node shut down'
      : providerFailure({ provider: provider.name, timeoutMs: provider.timeoutMs }, timeout, error).message;
  }
  const usage = tally.usage() ?? costing.counted(input.inputTokens, tally.delivered());
  return answered(broken ? 'failed' : 'succeeded', usage, tally.delivered(), tally.toolCalls(), {
    ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
    ...(broken ? { error: broken } : {}),
  });
}
