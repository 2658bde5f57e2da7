import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decide, formatIssue, parseDecisionInput } from '@warden/policy';
import { parse as parseYaml } from 'yaml';
import { type CliIo, EXIT, UsageError } from '../io.js';
import { loadOrReport } from './load.js';

export const EVAL_HELP = `Usage: warden policy eval <dir> --agent <json|file> --tool <name> [options]

Decides one tool call against the policy bundle in <dir> and prints the Decision as JSON.

  --agent <json|file>       the agent: {"id": "...", "roles": [...], "tier": "...", "environment": "..."}
  --tool <name>             the tool, e.g. payments.refund
  --server <name>           the MCP server (or other provider) of the tool
  --args <json>             the call's arguments (default {})
  --context <json>          {"taskId", "initiator", "onBehalfOf", "interface"}
  --usage <json>            usage counters (missing counters are 0)
  --time <iso>              the time of the call, e.g. 2026-03-02T10:00:00Z
  --delegation <json|file>  delegating agents, outermost first
  --signals <json>          the agent's signals, e.g. {"confidence": 0.6}
  --task <json>             the task's history: {"calls", "denied", "tool_calls", "failures",
                            "tools", "labels"} (default: an empty history)
`;

export interface EvalOptions {
  readonly agent?: string;
  readonly tool?: string;
  readonly server?: string;
  readonly args?: string;
  readonly context?: string;
  readonly usage?: string;
  readonly time?: string;
  readonly delegation?: string;
  readonly signals?: string;
  readonly task?: string;
}

export async function policyEval(io: CliIo, dir: string, options: EvalOptions): Promise<number> {
  if (options.agent === undefined) throw new UsageError('--agent is required');
  if (options.tool === undefined) throw new UsageError('--tool is required');
  const value: Record<string, unknown> = {
    agent: await jsonOrFile(io, '--agent', options.agent),
    tool: options.tool,
  };
  if (options.server !== undefined) value.server = options.server;
  if (options.args !== undefined) value.args = parseJson('--args', options.args);
  if (options.context !== undefined) value.context = parseJson('--context', options.context);
  if (options.usage !== undefined) value.usage = parseJson('--usage', options.usage);
  if (options.time !== undefined) value.time = options.time;
  if (options.delegation !== undefined)
    value.delegation = await jsonOrFile(io, '--delegation', options.delegation);
  if (options.signals !== undefined) value.signals = parseJson('--signals', options.signals);
  if (options.task !== undefined) value.task = parseJson('--task', options.task);
  const { input, issues } = parseDecisionInput(value, 'input');
  if (!input) {
    for (const issue of issues)
      io.err(`${formatIssue(issue).replace(/^input: error: /, 'invalid input: ')}\n`);
    return EXIT.usage;
  }
  const bundle = await loadOrReport(io, dir);
  if (!bundle) return EXIT.failed;
  io.out(`${JSON.stringify(decide(bundle, input), null, 2)}\n`);
  return EXIT.ok;
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Inline JSON when it looks like JSON, otherwise a JSON or YAML file. */
async function jsonOrFile(io: CliIo, flag: string, value: string): Promise<unknown> {
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJson(flag, trimmed);
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, value), 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${value}: ${(error as Error).message}`);
  }
  try {
    return parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    throw new UsageError(
      `${flag}: ${value} is neither JSON nor YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
