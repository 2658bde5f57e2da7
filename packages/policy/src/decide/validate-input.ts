import type { AgentFacts, DecisionInput } from '../input.js';
import { TOOL_NAME, TOOL_PATTERN } from '../load/policy-schema.js';

export const MAX_ARGS_DEPTH = 32;
export const MAX_ARGS_NODES = 100_000;
export const MAX_DELEGATION_CHAIN = 32;
export const MAX_GRANTS = 1000;
export const MAX_GRANT_TOOLS = 100;
const MAX_GRANT_ID_LENGTH = 200;

/**
 * Checks that arguments are JSON: plain objects, arrays, strings, finite numbers, booleans and null,
 * nested at most 32 levels. Returns a message naming the offending path, or undefined when valid.
 */
export function validateArguments(args: unknown): string | undefined {
  if (!isPlainRecord(args)) return 'args must be a JSON object';
  return visit(args, 0, { nodes: 0 })?.replace(HERE, 'args');
}

// The path of a problem is only built when there is one: each level prefixes its key to HERE.
const HERE = '\u0000';

// Recursion is bounded by MAX_ARGS_DEPTH, so a cycle or a hostile depth stops early.
function visit(value: unknown, depth: number, count: { nodes: number }): string | undefined {
  if (++count.nodes > MAX_ARGS_NODES) return `args hold more than ${MAX_ARGS_NODES} values`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${HERE} is not a finite number`;
  if (typeof value !== 'object') return `${HERE} is a ${typeof value}, which JSON cannot hold`;
  if (depth >= MAX_ARGS_DEPTH) return `args are nested deeper than ${MAX_ARGS_DEPTH} levels (at ${HERE})`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = visit(value[i], depth + 1, count);
      if (problem) return problem.replace(HERE, `${HERE}[${i}]`);
    }
    return undefined;
  }
  if (!isPlainRecord(value)) return `${HERE} is not a plain JSON object`;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const problem = visit(value[key], depth + 1, count);
    if (problem) return problem.replace(HERE, `${HERE}.${key}`);
  }
  return undefined;
}

/** The shape checks `decide` makes before evaluating; a message when the input is unusable. */
export function validateInput(input: DecisionInput): string | undefined {
  if (typeof input !== 'object' || input === null) return 'the input must be an object';
  const agentProblem = validateAgent(input.agent, 'agent');
  if (agentProblem) return agentProblem;
  const toolProblem = validateToolName(input.tool);
  if (toolProblem) return toolProblem;
  if (input.args !== undefined) {
    const problem = validateArguments(input.args);
    if (problem) return problem;
  }
  if (
    input.time !== undefined &&
    !(input.time.now instanceof Date && Number.isFinite(input.time.now.getTime()))
  ) {
    return 'time.now must be a valid Date';
  }
  if (input.delegation !== undefined) {
    if (!Array.isArray(input.delegation)) return 'delegation must be a list of agents';
    if (input.delegation.length > MAX_DELEGATION_CHAIN)
      return `delegation chains are limited to ${MAX_DELEGATION_CHAIN} agents`;
    for (const [i, agent] of input.delegation.entries()) {
      const problem = validateAgent(agent, `delegation[${i}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** A tool name `decide` accepts; anything else is denied as `invalid_input`. */
export function validateToolName(tool: unknown): string | undefined {
  if (typeof tool === 'string' && TOOL_NAME.test(tool)) return undefined;
  return 'tool must be a tool name of letters, digits, "_", ".", ":", "/" and "-" (at most 200 characters)';
}

/**
 * The checks on one agent's facts (its id and its grants); `path` names it in the message. An agent
 * that fails them makes every input it appears in unusable, whatever the tool or arguments.
 */
export function validateAgent(agent: AgentFacts | undefined, path: string): string | undefined {
  if (typeof agent?.id !== 'string' || agent.id === '') return `${path}.id must be a non-empty string`;
  if (agent.grants !== undefined) return validateGrants(agent.grants, `${path}.grants`);
  return undefined;
}

/**
 * Grants come from the server, not from the agent, but a malformed one must deny rather than throw
 * halfway through a decision or, worse, grant more than it says.
 */
function validateGrants(grants: unknown, path: string): string | undefined {
  if (!Array.isArray(grants)) return `${path} must be a list of {id, tools}`;
  if (grants.length > MAX_GRANTS) return `${path} holds more than ${MAX_GRANTS} grants`;
  for (let i = 0; i < grants.length; i++) {
    const grant: unknown = grants[i];
    if (!isPlainRecord(grant)) return `${path}[${i}] must be an object {id, tools}`;
    if (typeof grant.id !== 'string' || grant.id === '' || grant.id.length > MAX_GRANT_ID_LENGTH)
      return `${path}[${i}].id must be a non-empty string of at most ${MAX_GRANT_ID_LENGTH} characters`;
    const tools = grant.tools;
    if (!Array.isArray(tools) || tools.length === 0 || tools.length > MAX_GRANT_TOOLS)
      return `${path}[${i}].tools must be a list of 1 to ${MAX_GRANT_TOOLS} tool names or globs`;
    for (let j = 0; j < tools.length; j++) {
      const tool: unknown = tools[j];
      if (typeof tool !== 'string' || !TOOL_PATTERN.test(tool))
        return `${path}[${i}].tools[${j}] must be a tool name or glob of letters, digits, "_", ".", ":", "/", "-" and "*"`;
    }
  }
  return undefined;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
