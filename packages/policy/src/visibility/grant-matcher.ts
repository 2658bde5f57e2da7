import { compileGlob } from '../compile/glob.js';
import type { TemporaryGrant } from '../input.js';

/**
 * The ids of the grants that cover a tool. `decide` compiles an agent's grant globs per call
 * (`grantFor`); an index answers many tools for one agent, so they are compiled once here, with
 * the same glob semantics.
 */
export function compileGrantMatcher(grants: readonly TemporaryGrant[]): (tool: string) => string[] {
  const compiled = grants.map((grant) => ({ id: grant.id, covers: grant.tools.map(compileGlob) }));
  return (tool) => {
    const covering: string[] = [];
    for (const grant of compiled) if (grant.covers.some((matches) => matches(tool))) covering.push(grant.id);
    return covering;
  };
}
