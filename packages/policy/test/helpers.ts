import {
  type DecisionInput,
  decide,
  type LoadResult,
  loadBundleFromFiles,
  type PolicyBundle,
} from '../src/index.js';

/** Loads a bundle from inline files and fails the test with the issues if it does not load. */
export function bundleOf(files: Record<string, string>): PolicyBundle {
  const result = load(files);
  if (!result.ok)
    throw new Error(
      `bundle did not load:\n${result.issues.map((i) => `${i.file}:${i.line} ${i.field}: ${i.message}`).join('\n')}`,
    );
  return result.bundle;
}

export function load(files: Record<string, string>): LoadResult {
  return loadBundleFromFiles(Object.entries(files).map(([path, text]) => ({ path, text })));
}

/** The issues of a bundle that must not load. */
export function loadErrors(files: Record<string, string>) {
  const result = load(files);
  if (result.ok) throw new Error('expected the bundle to be rejected, but it loaded');
  return result.issues;
}

/** A one-policy YAML document with the given rules (YAML text, indented under `rules:`). */
export function policy(
  rules: string,
  options: { kind?: string; name?: string; agents?: string; owner?: string } = {},
): string {
  return `apiVersion: warden/v1
kind: ${options.kind ?? 'Policy'}
metadata:
  name: ${options.name ?? 'test-policy'}
  owner: ${options.owner ?? 'owner@example.com'}
spec:
${options.agents ? `  agents:\n${indent(options.agents, 4)}\n` : ''}  rules:
${indent(rules, 4)}
`;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .trim()
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

export const support = {
  id: 'agt_support',
  roles: ['support-assistant'],
  tier: 'trusted',
  environment: 'production',
} as const;

export function decideFor(
  bundle: PolicyBundle,
  tool: string,
  args: DecisionInput['args'] = {},
  extra: Partial<DecisionInput> = {},
) {
  return decide(bundle, { agent: support, tool, args, ...extra });
}
