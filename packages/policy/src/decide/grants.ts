import { compileGlob, isGlob } from '../compile/glob.js';
import type { TemporaryGrant } from '../input.js';

/**
 * The first of an agent's temporary grants that covers the tool, if any. Grants come with each call
 * (they lapse on their own), so their globs are compiled here rather than indexed with the bundle;
 * `decide` only looks when no rule granted the call, so a call a rule decides never pays for this.
 */
export function grantFor(grants: readonly TemporaryGrant[], tool: string): TemporaryGrant | undefined {
  for (const grant of grants) {
    for (const pattern of grant.tools) {
      if (pattern === tool || (isGlob(pattern) && compileGlob(pattern)(tool))) return grant;
    }
  }
  return undefined;
}

export function grantReason(grant: TemporaryGrant, tool: string): string {
  return `Temporary grant ${grant.id} allows '${tool}' (approved access request); it lapses on its own.`;
}
