import { Type } from 'typebox';
import type { App } from '../../http/app.js';
import { messages } from '../anthropic/messages.js';
import type { LlmProxy } from '../llm-proxy.js';
import type { LlmApi } from '../model-route.js';
import { chatCompletions } from '../openai/chat-completions.js';
import { llmErrorHandler } from './api-errors.js';
import { type ApiAdapter, proxyCall } from './proxy-call.js';

const AGENT = { auth: { kind: 'agent' } } as const;
/** The body is checked by the API's adapter, so mistakes come back in that API's own words. */
const AnyBody = Type.Unknown();

/**
 * The LLM proxy's endpoints, one scope per API so that every refusal — no key, a bad body, a policy
 * deny — is answered in the shape that API's clients expect (`{error: {message, type, code}}` for
 * OpenAI, `{type: "error", error: {type, message}}` for Anthropic).
 */
export function registerLlmRoutes(app: App, proxy: LlmProxy, maxBodyBytes: number): void {
  const scope = (api: LlmApi, routes: Record<string, ApiAdapter<unknown>>) =>
    app.register(async (child) => {
      child.setErrorHandler(llmErrorHandler(api));
      for (const [path, adapter] of Object.entries(routes)) {
        child.post(
          path,
          {
            config: AGENT,
            bodyLimit: maxBodyBytes,
            schema: {
              tags: ['llm'],
              summary: `${api === 'openai' ? 'OpenAI' : 'Anthropic'}-compatible ${path.split('/v1/')[1]}, governed`,
              body: AnyBody,
            },
          },
          (request, reply) => proxyCall(proxy.deps, adapter, request, reply),
        );
      }
    });
  scope('openai', { '/llm/openai/v1/chat/completions': chatCompletions as ApiAdapter<unknown> });
  scope('anthropic', { '/llm/anthropic/v1/messages': messages as ApiAdapter<unknown> });
}
