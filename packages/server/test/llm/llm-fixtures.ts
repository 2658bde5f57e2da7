import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WardenNode } from '../../src/main.js';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';
import { startTestNode, type TestNode, type TestNodeOptions } from '../helpers/test-node.js';
import { FAKE_ANTHROPIC_KEY, type FakeAnthropic, startFakeAnthropic } from './fakes/anthropic-fake.js';
import { FAKE_OPENAI_KEY, type FakeOpenAi, startFakeOpenAi } from './fakes/openai-fake.js';

/** The env variables the providers file takes the fakes' keys from. */
export const OPENAI_KEY_ENV = 'WARDEN_TEST_OPENAI_KEY';
export const ANTHROPIC_KEY_ENV = 'WARDEN_TEST_ANTHROPIC_KEY';

/**
 * Agents of role llm-user may call every model, with at most 2,000 output tokens, and may have the
 * provider call the hosted MCP server `docs` (no other); role llm-cheap may not use gpt-4o (only
 * the mini); a gpt-4.1 call needs a lead of group llm-leads first.
 */
export const LLM_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: llm
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [llm-user, llm-cheap]
  rules:
    - id: no-big-answers
      effect: deny
      tools: ["llm.*"]
      when: args.max_tokens > 2000
      reason: At most 2000 output tokens per call
    - id: cheap-models-only
      effect: deny
      tools: ["llm.openai.gpt-4o"]
      when: '"llm-cheap" in agent.roles'
      reason: This agent uses gpt-4o-mini
    - id: big-models-reviewed
      effect: review
      tools: ["llm.openai.gpt-4.1"]
      reason: gpt-4.1 calls need a lead
      approval:
        approvers: ["group:llm-leads"]
        timeout: 1h
    - id: docs-mcp-only
      effect: allow
      tools: ["llm.openai.*"]
      when: >-
        "llm-user" in agent.roles &&
        args.hosted_tools.all(t, !t.startsWith("mcp:") || t == "mcp:docs")
      reason: The docs MCP server may be called by the provider
    - id: models
      effect: allow
      tools: ["llm.*"]
      reason: Model calls are fine
`;

/** Agents of role llm-local may use the local provider's models only. */
export const LLM_LOCAL_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: llm-local
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [llm-local]
  rules:
    - id: local-models
      effect: allow
      tools: ["llm.local.*"]
      reason: Local models only
`;

/** A policy directory and a providers file pointing at the fakes. */
export async function writeLlmFiles(openAiUrl: string, anthropicUrl: string) {
  const dir = await mkdtemp(join(tmpdir(), 'warden-llm-'));
  const policyDir = join(dir, 'policies');
  await mkdir(policyDir);
  await writeFile(join(policyDir, 'llm.yaml'), LLM_POLICY);
  await writeFile(join(policyDir, 'llm-local.yaml'), LLM_LOCAL_POLICY);
  const providersFile = join(dir, 'providers.yaml');
  await writeFile(
    providersFile,
    `providers:
  - name: openai
    kind: openai
    baseUrl: ${openAiUrl}
    apiKey: { fromEnv: ${OPENAI_KEY_ENV} }
    aliases: { fast: gpt-4o-mini, shared: gpt-4o-mini }
    defaultMaxTokens: 1000
    timeoutSeconds: 5
  - name: anthropic
    kind: anthropic
    baseUrl: ${anthropicUrl}
    apiKey: { fromEnv: ${ANTHROPIC_KEY_ENV} }
    models: [claude-sonnet-4-5, claude-haiku-4-5]
    timeoutSeconds: 5
  - name: local
    kind: openai-compatible
    baseUrl: ${openAiUrl}
    apiKey: { fromEnv: ${OPENAI_KEY_ENV} }
    models: [llama-local, mystery-model]
    aliases: { shared: llama-local }
    defaultMaxTokens: 1000
    prices:
      llama-local: { inputPerMTok: 0.1, outputPerMTok: 0.2 }
`,
  );
  return { dir, policyDir, providersFile };
}

/** A node on SQLite with the LLM policy and providers, both fakes behind it, listening. */
export interface LlmBed {
  readonly t: TestNode;
  readonly fakeOpenAi: FakeOpenAi;
  readonly fakeAnthropic: FakeAnthropic;
  /** The node's URL. */
  readonly base: string;
  close(): Promise<void>;
}

export async function startLlmBed(options: Omit<TestNodeOptions, 'policyDir'> = {}): Promise<LlmBed> {
  const fakeOpenAi = await startFakeOpenAi();
  const fakeAnthropic = await startFakeAnthropic();
  process.env[OPENAI_KEY_ENV] = FAKE_OPENAI_KEY;
  process.env[ANTHROPIC_KEY_ENV] = FAKE_ANTHROPIC_KEY;
  const files = await writeLlmFiles(fakeOpenAi.url, fakeAnthropic.url);
  const t = await startTestNode('sqlite', {
    ...options,
    policyDir: files.policyDir,
    settings: { ...options.settings, llmProvidersFile: files.providersFile },
  });
  return {
    t,
    fakeOpenAi,
    fakeAnthropic,
    base: await t.node.listen(),
    async close() {
      await t.close();
      await fakeOpenAi.close();
      await fakeAnthropic.close();
      await rm(files.dir, { recursive: true, force: true });
    },
  };
}

/** A decision with its outcome parsed, once the proxy's outcomes in flight are written. */
export async function decisionOf(node: WardenNode, decisionId: string) {
  await node.llm.idle();
  const row = await node.storage.db
    .selectFrom('decisions')
    .select(['tool', 'effect', 'code', 'outcome_status', 'outcome'])
    .where('id', '=', decisionId)
    .executeTakeFirstOrThrow();
  return { ...row, outcome: row.outcome ? (JSON.parse(row.outcome) as Record<string, unknown>) : null };
}
