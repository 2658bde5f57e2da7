import { loadBundleFromFiles, type PolicyBundle, type SourceFile } from '@warden/policy';

/**
 * The compiled bundle each tenant decides with. Swapping is one Map.set, so a decision sees either
 * the old bundle or the new one, never a mix. A tenant without a bundle denies everything.
 */
export class PolicyRegistry {
  private readonly active = new Map<string, PolicyBundle>();

  get(tenantId: string): PolicyBundle | undefined {
    return this.active.get(tenantId);
  }

  set(tenantId: string, bundle: PolicyBundle): void {
    this.active.set(tenantId, bundle);
  }

  versionOf(tenantId: string): string | undefined {
    return this.active.get(tenantId)?.version;
  }
}

/** Compiles stored sources; a stored version was valid when activated, so failure here is a bug. */
export function compileStored(files: readonly SourceFile[]): PolicyBundle {
  const result = loadBundleFromFiles(files);
  if (!result.ok) throw new Error(`stored policy version does not compile: ${result.issues[0]?.message}`);
  return result.bundle;
}
