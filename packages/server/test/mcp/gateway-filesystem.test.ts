import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { connectAgent, textOf } from './mcp-fixtures.js';

const MODULES = join(import.meta.dirname, '../../../../node_modules/@modelcontextprotocol');

/**
 * Argument-level enforcement with the reference filesystem and memory servers: the upstream may touch
 * the whole folder, the policy lets the agent read only under docs/, holds writes there for a
 * human, and denies every other path (`..` included) before the upstream sees the call.
 */
describe('MCP gateway over server-filesystem and server-memory', () => {
  let t: TestNode;
  let client: Client;
  let root: string;

  beforeAll(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'warden-fs-')));
    await mkdir(join(root, 'docs'));
    await mkdir(join(root, 'secret'));
    await writeFile(join(root, 'docs/readme.txt'), 'public notes');
    await writeFile(join(root, 'secret/key.txt'), 'TOP-SECRET');
    const policyDir = join(root, 'policies');
    await mkdir(policyDir);
    const docs = `${root}/docs/`;
    await writeFile(
      join(policyDir, 'files.yaml'),
      `apiVersion: warden/v1
kind: Policy
metadata:
  name: files
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [fs-agent]
  rules:
    - id: read-docs
      effect: allow
      tools: [files.read_text_file]
      when: args.path.startsWith("${docs}") && !args.path.contains("..")
      reason: Agents may read the docs folder
    - id: write-docs
      effect: review
      tools: [files.write_file]
      when: args.path.startsWith("${docs}") && !args.path.contains("..")
      reason: Writing to the docs folder needs a human
      approval:
        approvers: ["group:fs-leads"]
        timeout: 1h
    - id: memory
      effect: allow
      tools: [memory.create_entities, memory.read_graph]
      reason: The agent keeps its own notes
---
apiVersion: warden/v1
kind: Guardrail
metadata:
  name: files-elsewhere
  owner: ${POLICY_AUTHOR}
spec:
  rules:
    - id: outside-docs
      effect: deny
      tools: ["files.*"]
      when: has(args.path) && (!args.path.startsWith("${docs}") || args.path.contains(".."))
      reason: Only the docs folder is open to agents
`,
    );
    const serversFile = join(root, 'servers.yaml');
    await writeFile(
      serversFile,
      `servers:
  - name: files
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(join(MODULES, 'server-filesystem/dist/index.js'))}, ${JSON.stringify(root)}]
  - name: memory
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(join(MODULES, 'server-memory/dist/index.js'))}]
    env:
      MEMORY_FILE_PATH: ${JSON.stringify(join(root, 'memory.jsonl'))}
`,
    );
    t = await startTestNode('sqlite', {
      policyDir,
      settings: { mcpServersFile: serversFile, mcpHoldSeconds: 1 },
    });
    const seeded = await seedAgent(t.node, { roles: ['fs-agent'] });
    client = await connectAgent(`${await t.node.listen()}/mcp`, seeded.key, 'modern');
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
  });

  it('lists only the file tools the agent could ever use', async () => {
    const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
    expect(names).toEqual([
      'files.read_text_file',
      'files.write_file',
      'memory.create_entities',
      'memory.read_graph',
    ]);
  });

  it('reads under the allowed folder', async () => {
    const result = await client.callTool({
      name: 'files.read_text_file',
      arguments: { path: join(root, 'docs/readme.txt') },
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('public notes');
  });

  it('denies paths elsewhere, `..` included, before the upstream sees them', async () => {
    for (const path of [join(root, 'secret/key.txt'), `${root}/docs/../secret/key.txt`]) {
      const result = await client.callTool({ name: 'files.read_text_file', arguments: { path } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Only the docs folder is open to agents');
      expect(textOf(result)).not.toContain('TOP-SECRET');
    }
  });

  it('holds a write for a human: nothing is written while it waits', async () => {
    const target = join(root, 'docs/new.txt');
    const result = await client.callTool({
      name: 'files.write_file',
      arguments: { path: target, content: 'draft' },
    });
    expect((result.structuredContent as { status?: string }).status).toBe('pending_approval');
    expect(existsSync(target)).toBe(false);
  });

  it('governs a second server on the same endpoint (server-memory)', async () => {
    const created = await client.callTool({
      name: 'memory.create_entities',
      arguments: { entities: [{ name: 'warden', entityType: 'project', observations: ['governs MCP'] }] },
    });
    expect(created.isError).toBeFalsy();
    const graph = await client.callTool({ name: 'memory.read_graph', arguments: {} });
    expect(textOf(graph)).toContain('governs MCP');
  });
});
