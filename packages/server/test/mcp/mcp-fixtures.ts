import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';

/** The real reference server from npm, run over stdio by the gateway like any upstream. */
export const EVERYTHING_SERVER = join(
  import.meta.dirname,
  '../../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/**
 * Tools of server-everything under policy: `mcp-user` agents may echo, sum small numbers (large sums
 * are reviewed), run the long operation; nobody may read the environment (a guardrail);
 * `mcp-reader` agents may only fetch the tiny image.
 */
export const GATEWAY_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: mcp-gateway
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-user]
  rules:
    - id: echo
      effect: allow
      tools: [everything.echo, everything.trigger-long-running-operation]
      reason: Echoing is harmless
    - id: sum-small
      effect: allow
      tools: [everything.get-sum]
      when: has(args.a) && args.a < 100
      reason: Small sums are fine
    - id: sum-large
      effect: review
      tools: [everything.get-sum]
      when: has(args.a) && args.a >= 100
      reason: Large sums need a lead
      approval:
        approvers: ["group:mcp-leads"]
        timeout: 1h
    - id: env-for-users
      effect: allow
      tools: [everything.get-env]
      reason: Granted here, but the guardrail wins
    - id: read-documents
      effect: allow
      tools: [everything.resources.read]
      when: args.uri.startsWith("demo://resource/static/document/")
      reason: Agents may read the demo documents
    - id: simple-prompt
      effect: allow
      tools: [everything.prompts.get]
      when: args.name == "simple-prompt"
      reason: The simple prompt only
---
apiVersion: warden/v1
kind: Policy
metadata:
  name: mcp-readers
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-reader]
  rules:
    - id: tiny-image
      effect: allow
      tools: [everything.get-tiny-image]
      reason: Readers may fetch the image
---
apiVersion: warden/v1
kind: Guardrail
metadata:
  name: no-environment
  owner: ${POLICY_AUTHOR}
spec:
  rules:
    - id: no-env
      effect: deny
      tools: [everything.get-env]
      reason: The server's environment is not for agents
`;

export async function writeGatewayFiles(
  servers: string = serversYaml(),
  extraPolicy?: string,
): Promise<{ policyDir: string; serversFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-mcp-'));
  const policyDir = join(dir, 'policies');
  await mkdir(policyDir);
  await writeFile(join(policyDir, 'mcp.yaml'), GATEWAY_POLICY);
  if (extraPolicy) await writeFile(join(policyDir, 'extra.yaml'), extraPolicy);
  const serversFile = join(dir, 'servers.yaml');
  await writeFile(serversFile, servers);
  return { policyDir, serversFile };
}

export function serversYaml(extra = ''): string {
  return `servers:
  - name: everything
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(EVERYTHING_SERVER)}, stdio]
    timeoutSeconds: 20
    tools:
      echo: { estimateUsd: 0.01 }
${extra}`;
}

/** A test upstream that crashes, hangs or floods on request (test/mcp/fixtures/unruly-server.mjs). */
export const UNRULY_SERVER = join(import.meta.dirname, 'fixtures/unruly-server.mjs');

/** A test upstream that asks its client for sampling, elicitation, roots… during a call. */
export const ASKING_SERVER = join(import.meta.dirname, 'fixtures/asking-server.mjs');

/** What an agent's client declares and answers besides calling tools (sampling, elicitation handlers). */
export interface AgentClientSetup {
  readonly options?: Pick<ClientOptions, 'capabilities' | 'inputRequired'>;
  /** Registers the client's request handlers before it connects. */
  readonly prepare?: (client: Client) => void;
}

/** An MCP client of either protocol era, holding an agent's Warden key. */
export async function connectAgent(
  url: string,
  key: string,
  era: 'modern' | 'legacy',
  onToolsChanged?: () => void,
  setup: AgentClientSetup = {},
): Promise<Client> {
  const client = new Client(
    { name: 'test-agent', version: '1.0.0' },
    {
      ...setup.options,
      ...(era === 'modern' ? { versionNegotiation: { mode: 'auto' as const } } : {}),
      ...(onToolsChanged
        ? { listChanged: { tools: { autoRefresh: false, debounceMs: 0, onChanged: () => onToolsChanged() } } }
        : {}),
    },
  );
  setup.prepare?.(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

export function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}
