import type { JsonPath, PathSegment } from './json-path.js';

/** How far one configured path has been followed on the way down to the current value. */
interface PathState {
  readonly path: number;
  readonly position: number;
}

export type PathStates = readonly PathState[];

const NONE: PathStates = [];
// Shared so that walking a value with no paths configured allocates nothing per member.
const NOTHING_SELECTED = { states: NONE, selected: false } as const;

/**
 * Follows every configured path at once while the redactor walks the value: each value carries the states
 * of the paths that could still select it or something below it, like an NFA over keys.
 */
export class PathMatcher {
  constructor(private readonly paths: readonly JsonPath[]) {}

  /** The states at the root of a value. */
  root(): PathStates {
    return this.paths.map((_, path) => ({ path, position: 0 }));
  }

  /**
   * The states for the child at `key` (a member name, or an array index) of a value whose states are
   * `states`; `selected` when some path ends exactly at that child.
   */
  child(states: PathStates, key: string | number): { states: PathStates; selected: boolean } {
    if (states.length === 0) return NOTHING_SELECTED;
    const next: PathState[] = [];
    let selected = false;
    for (const state of states) {
      const path = this.paths[state.path];
      const segment = path?.[state.position];
      if (path === undefined || segment === undefined) continue;
      if (stepsInto(segment, key)) {
        if (state.position + 1 === path.length) selected = true;
        else addState(next, { path: state.path, position: state.position + 1 });
      }
      // A descendant segment keeps looking further down, whether or not this key matched.
      if (segment.kind === 'descendant') addState(next, state);
    }
    return { states: next.length === 0 ? NONE : next, selected };
  }
}

function addState(states: PathState[], state: PathState): void {
  for (const existing of states) {
    if (existing.path === state.path && existing.position === state.position) return;
  }
  states.push(state);
}

function stepsInto(segment: PathSegment, key: string | number): boolean {
  switch (segment.kind) {
    case 'wildcard':
      return true;
    case 'index':
      return key === segment.index;
    case 'child':
    case 'descendant':
      return key === segment.key;
  }
}
