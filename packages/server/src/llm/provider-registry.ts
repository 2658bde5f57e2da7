import { sealBinding } from '../managed/managed-entries.js';
import { resolveValue } from '../secrets/configured-value.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { ProviderEntry } from './provider-entry.js';
import { LLM_SEAL_PREFIX } from './provider-service.js';

/**
 * Every tenant's model providers, and their API keys read once when first needed (from the node's
 * environment, a file, or the sealed store): the agent never sees them, and they are never logged or
 * audited.
 */
export class ProviderRegistry {
  private readonly byTenant = new Map<string, readonly ProviderEntry[]>();
  private readonly keys = new Map<string, Promise<string>>();

  constructor(
    private readonly box: SecretBox,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  set(tenantId: string, providers: readonly ProviderEntry[]): void {
    this.byTenant.set(tenantId, providers);
    for (const key of this.keys.keys()) if (key.startsWith(`${tenantId}|`)) this.keys.delete(key);
  }

  of(tenantId: string): readonly ProviderEntry[] {
    return this.byTenant.get(tenantId) ?? [];
  }

  /** The provider's key; a key that cannot be read is not cached, so fixing the environment helps. */
  apiKey(tenantId: string, provider: ProviderEntry): Promise<string> {
    const cacheKey = `${tenantId}|${provider.name}`;
    let key = this.keys.get(cacheKey);
    if (!key) {
      key = resolveValue(provider.apiKey, `${provider.name}.apiKey`, 'apiKey', {
        env: this.env,
        reveal: (box, field) =>
          this.box.open(box, sealBinding(LLM_SEAL_PREFIX, tenantId, provider.name, field)),
      });
      this.keys.set(cacheKey, key);
      key.catch(() => this.keys.delete(cacheKey));
    }
    return key;
  }
}
