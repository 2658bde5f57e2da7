import type { ProviderEntry } from './provider-entry.js';

/** Which API an agent called: `/llm/openai/…` or `/llm/anthropic/…`. */
export type LlmApi = 'openai' | 'anthropic';

export interface ModelRoute {
  readonly provider: ProviderEntry;
  /** The provider's own id for the model (an alias resolved): what is sent and priced. */
  readonly model: string;
  /** What policies, budgets and the audit see: `llm.<provider>.<model>`. */
  readonly tool: string;
}

export type RouteFailure = { readonly reason: 'unknown_model' | 'ambiguous_model'; readonly message: string };

const speaks = (provider: ProviderEntry, api: LlmApi) =>
  api === 'anthropic' ? provider.kind === 'anthropic' : provider.kind !== 'anthropic';

/**
 * The provider and model an agent's `model` names, among the tenant's providers of that API:
 * `<provider>/<model>` names both; otherwise an alias, then a model in a provider's allow list, then
 * the one provider of that API without an allow list. Two providers that could both serve it are an
 * error, never a guess: the agent names the provider.
 */
export function routeModel(
  providers: readonly ProviderEntry[],
  api: LlmApi,
  requested: string,
): ModelRoute | RouteFailure {
  const eligible = providers.filter((p) => speaks(p, api));
  const slash = requested.indexOf('/');
  if (slash > 0) {
    const named = eligible.find((p) => p.name === requested.slice(0, slash));
    if (named)
      return allowed(
        named,
        named.aliases[requested.slice(slash + 1)] ?? requested.slice(slash + 1),
        requested,
      );
  }
  const byAlias = eligible.filter((p) => p.aliases[requested] !== undefined);
  if (byAlias.length === 1) {
    const [provider] = byAlias as [ProviderEntry];
    return route(provider, provider.aliases[requested] as string);
  }
  if (byAlias.length > 1) return ambiguous(requested, byAlias);
  const listing = eligible.filter((p) => p.models?.includes(requested));
  if (listing.length === 1) return route(listing[0] as ProviderEntry, requested);
  if (listing.length > 1) return ambiguous(requested, listing);
  const open = eligible.filter((p) => p.models === undefined);
  if (open.length === 1) return route(open[0] as ProviderEntry, requested);
  if (open.length > 1) return ambiguous(requested, open);
  return unknown(requested);
}

function allowed(provider: ProviderEntry, model: string, requested: string): ModelRoute | RouteFailure {
  if (provider.models && !provider.models.includes(model)) return unknown(requested);
  return route(provider, model);
}

function route(provider: ProviderEntry, model: string): ModelRoute {
  return { provider, model, tool: `llm.${provider.name}.${model}` };
}

function unknown(requested: string): RouteFailure {
  return {
    reason: 'unknown_model',
    message: `The model \`${requested}\` does not exist or you do not have access to it.`,
  };
}

function ambiguous(requested: string, providers: readonly ProviderEntry[]): RouteFailure {
  const names = providers.map((p) => `${p.name}/${requested}`).join(', ');
  return {
    reason: 'ambiguous_model',
    message: `The model \`${requested}\` is served by several providers; name one: ${names}.`,
  };
}
