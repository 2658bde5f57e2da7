import { Type } from 'typebox';
import { notFound } from '../../errors.js';
import type { App } from '../../http/app.js';
import { humanOf } from '../../http/auth.js';
import { errorResponses } from '../../http/schemas.js';
import type { ManagedEntries } from '../../managed/managed-entries.js';
import type { ProviderEntry } from '../provider-entry.js';
import type { ProviderRegistry } from '../provider-registry.js';
import { shownProvider } from '../provider-service.js';

/** Who may see a tenant's providers: configuration that reveals where its model traffic goes. */
const READERS = { kind: 'human', roles: ['security', 'auditor'] } as const;
/** Who may change them: a provider spends the tenant's money with the tenant's key. */
const WRITERS = { kind: 'human', roles: ['security'] } as const;

const ProviderSchema = Type.Object(
  {
    name: Type.String(),
    kind: Type.String(),
    source: Type.Union([Type.Literal('file'), Type.Literal('api')]),
    apiKey: Type.Unknown({ description: '(stored secret), or {fromEnv} / {fromFile}; never a value' }),
  },
  { additionalProperties: true },
);
const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' }) });
const EntryBody = Type.Unknown({
  description:
    'A provider as in the providers file ({name, kind, baseUrl, apiKey, models, aliases, prices, priceTable, defaultMaxTokens, timeoutSeconds}); the key as {"secret": value}, stored encrypted and never shown again.',
});
const PatchBody = Type.Unknown({
  description:
    'Any of baseUrl, apiKey, models, aliases, prices, priceTable, defaultMaxTokens, timeoutSeconds. aliases and prices merge per key; a key set to null is removed.',
});

/**
 * `/v1/llm/providers`: the tenant's model providers (keys as where they come from, never values),
 * and adding, changing and removing the ones managed through the API (audited; the providers file's
 * are changed in the file).
 */
export function registerLlmProviderRoutes(
  app: App,
  registry: ProviderRegistry,
  providers: ManagedEntries<ProviderEntry>,
): void {
  const json = (entry: ProviderEntry, source: 'file' | 'api') => {
    const shown = shownProvider(entry);
    return { ...shown, name: entry.name, kind: entry.kind, apiKey: shown.apiKey, source };
  };
  const current = (tenantId: string, name: string) => {
    const entry = registry.of(tenantId).find((p) => p.name === name);
    if (!entry) throw notFound('LLM provider', name);
    return json(entry, providers.source(tenantId, name));
  };

  app.get(
    '/v1/llm/providers',
    {
      config: { auth: READERS },
      schema: {
        tags: ['llm'],
        summary: "List the tenant's LLM providers (admin, security, auditor)",
        response: { 200: Type.Object({ providers: Type.Array(ProviderSchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const { tenantId } = humanOf(request);
      return {
        providers: registry.of(tenantId).map((entry) => json(entry, providers.source(tenantId, entry.name))),
      };
    },
  );

  app.post(
    '/v1/llm/providers',
    {
      config: { auth: WRITERS },
      schema: {
        tags: ['llm'],
        summary: 'Add an LLM provider (admin, security)',
        description: 'fromEnv and fromFile are refused here (providers file only).',
        body: EntryBody,
        response: { 201: Type.Object({ provider: ProviderSchema }), ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const principal = humanOf(request);
      const added = await providers.add(principal, request.body);
      return reply.code(201).send({ provider: current(principal.tenantId, added.name) });
    },
  );

  app.patch(
    '/v1/llm/providers/:name',
    {
      config: { auth: WRITERS },
      schema: {
        tags: ['llm'],
        summary: 'Change an LLM provider added through the API (admin, security)',
        description: 'Providers from the providers file answer 409.',
        params: NameParams,
        body: PatchBody,
        response: { 200: Type.Object({ provider: ProviderSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      await providers.update(principal, request.params.name, request.body);
      return { provider: current(principal.tenantId, request.params.name) };
    },
  );

  app.delete(
    '/v1/llm/providers/:name',
    {
      config: { auth: WRITERS },
      schema: {
        tags: ['llm'],
        summary: 'Remove an LLM provider added through the API (admin, security)',
        description: 'Providers from the providers file answer 409. Answers the provider as it was.',
        params: NameParams,
        response: { 200: Type.Object({ provider: ProviderSchema }), ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const principal = humanOf(request);
      const removed = await providers.remove(principal, request.params.name);
      return { provider: json(removed, 'api') };
    },
  );
}
