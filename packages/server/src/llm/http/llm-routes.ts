import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { messages } from '../anthropic/messages.js';
import type { LlmProxy } from '../llm-proxy.js';
import type { LlmApi } from '../model-route.js';
import { chatCompletions } from '../openai/chat-completions.js';
import { embeddings } from '../openai/embeddings.js';
import { responses } from '../openai/responses.js';
import { llmErrorHandler } from './api-errors.js';
import { tracedModelCall } from './llm-trace.js';
import { type ApiAdapter, proxyCall } from './proxy-call.js';
import { countTokens, modelList } from './side-routes.js';

const AGENT = { auth: { kind: 'agent' } } as const;
/** The body is checked by the API's adapter, so mistakes come back in that API's own words. */
const AnyBody = Type.Unknown();

/**
 * The LLM proxy's endpoints, one scope per API so that every refusal — no key, a bad body, a policy
 * deny — is answered in the shape that API's clients expect (`{error: {message, type, code}}` for
 * OpenAI, `{type: "error", error: {type, message}}` for Anthropic). Model calls go through
 * `proxyCall` with their API's adapter; the model list and count_tokens are not model calls.
 */
export function registerLlmRoutes(
  app: App,
  proxy: LlmProxy,
  maxBodyBytes: number,
  telemetry?: Telemetry,
): void {
  const summary = (api: LlmApi, path: string) =>
    `${api === 'openai' ? 'OpenAI' : 'Anthropic'}-compatible ${path.split('/v1/')[1]}, governed`;
  const scope = (
    api: LlmApi,
    calls: Record<string, ApiAdapter<unknown>>,
    more: (child: App) => void = () => {},
  ) =>
    app.register(async (child) => {
      child.setErrorHandler(llmErrorHandler(api));
      for (const [path, adapter] of Object.entries(calls)) {
        child.post(
          path,
          {
            config: AGENT,
            bodyLimit: maxBodyBytes,
            schema: { tags: ['llm'], summary: summary(api, path), body: AnyBody },
          },
          (request, reply) =>
            tracedModelCall(
              telemetry,
              api,
              path.endsWith('/embeddings') ? 'embeddings' : 'chat',
              request,
              reply,
              () => proxyCall(proxy.deps, adapter, request, reply),
            ),
        );
      }
      more(child);
    });
  scope(
    'openai',
    {
      '/llm/openai/v1/chat/completions': chatCompletions as ApiAdapter<unknown>,
      '/llm/openai/v1/responses': responses as ApiAdapter<unknown>,
      '/llm/openai/v1/embeddings': embeddings as ApiAdapter<unknown>,
    },
    (child) =>
      child.get(
        '/llm/openai/v1/models',
        {
          config: AGENT,
          schema: { tags: ['llm'], summary: 'OpenAI-compatible model list: the models this agent may use' },
        },
        (request) => modelList(proxy.deps, request),
      ),
  );
  scope('anthropic', { '/llm/anthropic/v1/messages': messages as ApiAdapter<unknown> }, (child) =>
    child.post(
      '/llm/anthropic/v1/messages/count_tokens',
      {
        config: AGENT,
        bodyLimit: maxBodyBytes,
        schema: {
          tags: ['llm'],
          summary: 'Anthropic-compatible messages/count_tokens, forwarded (not a model call: not decided)',
          body: AnyBody,
        },
      },
      (request, reply) => countTokens(proxy.deps, request, reply),
    ),
  );
}
