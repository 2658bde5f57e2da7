import type { VisibilityIndex } from '@warden/policy';
import { costingFor } from './costing.js';
import { type LlmApi, routeModel } from './model-route.js';
import type { ProviderEntry } from './provider-entry.js';

/** One entry of OpenAI's model list. */
export interface ListedModel {
  readonly id: string;
  readonly object: 'model';
  /** When the model was made: Warden does not know, so 0. */
  readonly created: number;
  /** The provider that serves it. */
  readonly owned_by: string;
}

/**
 * The models an agent may ask for by this API, as it would name them: each provider's allow list and
 * aliases (a provider without an allow list: its aliases and the models it has operator prices for,
 * since any other model it would serve is unknown to Warden until asked), each named plainly when
 * that name routes to it, else `<provider>/<name>` (a name several providers could serve). Kept:
 * those with a price (an unpriced model is always refused) whose tool `llm.<provider>.<model>` the
 * agent could be allowed under the active policies (`visible`, the static index: conditions are not
 * evaluated, so a listed model may still be denied; an unlisted one never is allowed).
 */
export function listModels(
  providers: readonly ProviderEntry[],
  api: LlmApi,
  index: VisibilityIndex | undefined,
): ListedModel[] {
  if (!index) return [];
  const listed: ListedModel[] = [];
  const seen = new Set<string>();
  for (const provider of providers) {
    if ((provider.kind === 'anthropic') !== (api === 'anthropic')) continue;
    const names = provider.models
      ? [...provider.models, ...Object.keys(provider.aliases)]
      : [...Object.keys(provider.aliases), ...Object.keys(provider.prices)];
    for (const name of names) {
      const model = provider.aliases[name] ?? name;
      const plain = routeModel(providers, api, name);
      const routesHere = 'tool' in plain && plain.provider.name === provider.name && plain.model === model;
      const id = routesHere ? name : `${provider.name}/${name}`;
      const route = routesHere ? plain : routeModel(providers, api, id);
      if (!('tool' in route) || seen.has(id)) continue;
      seen.add(id);
      if (!costingFor(route) || !index.visibility(route.tool).visible) continue;
      listed.push({ id, object: 'model', created: 0, owned_by: provider.name });
    }
  }
  return listed;
}
