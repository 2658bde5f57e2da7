import type { FastifyReply, FastifyRequest } from 'fastify';
import { agentOf } from '../../http/auth.js';
import type { LlmCallDeps } from '../llm-call.js';
import { listModels } from '../model-list.js';
import { type ModelRoute, routeModel } from '../model-route.js';
import { LlmProxyError } from './api-errors.js';
import { providerFailure, sendToProvider } from './provider-fetch.js';

/** The API version sent when the agent's client names none (as for messages). */
const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
/** The largest answer of count_tokens passed on (it is a small JSON object). */
const MAX_COUNT_BYTES = 65_536;

/**
 * `GET /llm/openai/v1/models`: the models this agent may ask for, in OpenAI's list shape (see
 * `listModels`). Nothing is sent to a provider.
 */
export async function modelList(deps: LlmCallDeps, request: FastifyRequest): Promise<unknown> {
  const principal = agentOf(request);
  const index = await deps.visibility(principal);
  return { object: 'list', data: listModels(deps.providers.of(principal.tenantId), 'openai', index) };
}

/**
 * `POST /llm/anthropic/v1/messages/count_tokens`: forwarded to the provider that serves the model,
 * with that provider's key, and answered as it answered. It runs no model and costs nothing, so it
 * is not decided, charged or audited as a call; but it sends the prompt to the provider, so the
 * agent must hold a Warden key and be able to be allowed the model (`llm.<provider>.<model>` visible
 * under the active policies), else 403.
 */
export async function countTokens(
  deps: LlmCallDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const principal = agentOf(request);
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'body: Input should be a valid dictionary');
  const raw = body as Record<string, unknown>;
  if (typeof raw.model !== 'string' || raw.model === '') throw invalid('body.model', 'model: Field required');
  const route = routeModel(deps.providers.of(principal.tenantId), 'anthropic', raw.model);
  if ('reason' in route) {
    throw new LlmProxyError(
      route.reason === 'unknown_model' ? 404 : 400,
      route.reason === 'unknown_model' ? 'model_not_found' : route.reason,
      route.message,
      { field: 'body.model' },
    );
  }
  await mayUse(deps, principal, route);
  let key: string;
  try {
    key = await deps.providers.apiKey(principal.tenantId, route.provider);
  } catch (error) {
    deps.log.error({ err: error, provider: route.provider.name }, 'provider key cannot be read');
    throw new LlmProxyError(
      502,
      'provider_unavailable',
      `provider ${route.provider.name} is not configured correctly on this node`,
    );
  }
  const version = request.headers['anthropic-version'];
  const beta = request.headers['anthropic-beta'];
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  const { response, timeout } = await sendToProvider({
    url: `${route.provider.baseUrl}/v1/messages/count_tokens`,
    headers: {
      'x-api-key': key,
      'anthropic-version': typeof version === 'string' ? version : DEFAULT_ANTHROPIC_VERSION,
      ...(typeof beta === 'string' ? { 'anthropic-beta': beta } : {}),
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify({ ...raw, model: route.model }),
    timeoutMs: route.provider.timeoutMs,
    clientGone: gone.signal,
    publicOnly: route.provider.publicOnly === true,
    provider: route.provider.name,
  });
  let text: string;
  try {
    text = (await response.text()).slice(0, MAX_COUNT_BYTES);
  } catch (error) {
    throw providerFailure(
      { provider: route.provider.name, timeoutMs: route.provider.timeoutMs },
      timeout,
      error,
    );
  }
  const retryAfter = response.headers.get('retry-after');
  return reply
    .status(response.status)
    .headers({
      'content-type': response.headers.get('content-type') ?? 'application/json',
      ...(retryAfter ? { 'retry-after': retryAfter } : {}),
    })
    .send(text);
}

async function mayUse(
  deps: LlmCallDeps,
  principal: ReturnType<typeof agentOf>,
  route: ModelRoute,
): Promise<void> {
  const index = await deps.visibility(principal);
  if (!index?.visibility(route.tool).visible) {
    throw new LlmProxyError(
      403,
      'model_not_allowed',
      `no active policy could allow this agent ${route.tool}, so Warden does not send its prompt to provider ${route.provider.name}`,
      { field: 'body.model' },
    );
  }
}

function invalid(field: string, message: string): LlmProxyError {
  return new LlmProxyError(400, 'invalid_request', message, { field });
}
