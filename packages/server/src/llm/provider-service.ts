import type { JsonObject } from '@warden/policy';
import type { EntryKind } from '../managed/managed-entries.js';
import { checkProviderEntry, type ProviderEntry } from './provider-entry.js';
import type { ProviderRegistry } from './provider-registry.js';
import { MAX_PROVIDERS } from './providers-file.js';
import { shadowInput } from './shadow/shadow-rule.js';

/** The prefix LLM providers' sealed keys are bound under (see sealBinding). */
export const LLM_SEAL_PREFIX = 'llm-provider';

/**
 * LLM providers as entries managed through the API (`ManagedEntries`): the providers file's and the
 * ones a tenant's admins add, their keys stored sealed, applied to the node's registry.
 */
export function llmProviderKind(registry: ProviderRegistry, publicOnly: boolean): EntryKind<ProviderEntry> {
  return {
    what: 'LLM provider',
    fileSetting: 'WARDEN_LLM_PROVIDERS_FILE',
    table: 'llm_providers',
    auditPrefix: 'llm_provider',
    sealPrefix: LLM_SEAL_PREFIX,
    signal: 'llm.providers.changed',
    maxEntries: MAX_PROVIDERS,
    check: (input, rules) => checkProviderEntry(input, 'body', { ...rules, publicOnly }),
    asInput,
    patchable: [
      'baseUrl',
      'apiKey',
      'models',
      'aliases',
      'prices',
      'priceTable',
      'defaultMaxTokens',
      'timeoutSeconds',
      'shadows',
    ],
    merged: ['aliases', 'prices', 'shadows'],
    sealed: (entry) =>
      new Map(
        typeof entry.apiKey === 'object' && 'sealed' in entry.apiKey ? [['apiKey', entry.apiKey.sealed]] : [],
      ),
    shown: shownProvider,
    apply: async (tenantId, entries) => registry.set(tenantId, entries),
  };
}

function asInput(entry: ProviderEntry): Record<string, unknown> {
  return {
    name: entry.name,
    kind: entry.kind,
    baseUrl: entry.baseUrl,
    apiKey: typeof entry.apiKey === 'string' ? entry.apiKey : { ...entry.apiKey },
    ...(entry.models ? { models: [...entry.models] } : {}),
    aliases: { ...entry.aliases },
    prices: { ...entry.prices },
    ...(entry.priceTable ? { priceTable: entry.priceTable } : {}),
    defaultMaxTokens: entry.defaultMaxTokens,
    timeoutSeconds: entry.timeoutMs / 1_000,
    shadows: Object.fromEntries(
      Object.entries(entry.shadows).map(([model, rule]) => [model, shadowInput(rule)]),
    ),
  };
}

/** A provider as answers and the audit show it: its key as where it comes from, never its value. */
export function shownProvider(entry: ProviderEntry): JsonObject {
  const { apiKey } = entry;
  return {
    ...(asInput(entry) as JsonObject),
    apiKey:
      typeof apiKey === 'string'
        ? '(plain value)'
        : 'sealed' in apiKey
          ? '(stored secret)'
          : ({ ...apiKey } as JsonObject),
  };
}
