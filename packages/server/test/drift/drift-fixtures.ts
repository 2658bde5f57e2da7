import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../src/ids.js';
import type { WardenNode } from '../../src/main.js';
import { request } from '../helpers/api.js';

export const DAY = 86_400_000;

/**
 * One policy for agents of role `drifter` with three allow rules (a glob over files, one tool for
 * reports, one nobody uses) and a catalog naming the tools, so what each rule opens is known.
 */
export const DRIFT_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: drifters
  description: Rules for the drift tests.
  owner: policy-owner@example.test
spec:
  agents:
    roles: [drifter]
  rules:
    - id: files-read
      effect: allow
      tools: ["files.*"]
      reason: Reading files.
    - id: reports-write
      effect: allow
      tools: [reports.write]
      reason: Writing reports.
    - id: admin-reset
      effect: allow
      tools: [admin.reset]
      reason: Resetting.
    - id: files-no-delete
      effect: deny
      tools: [files.delete]
      reason: Never delete.
`;

export const DRIFT_CATALOG = `apiVersion: warden/v1
kind: ToolCatalog
metadata:
  name: drift-tools
  description: The tools of the drift tests.
spec:
  tools:
    - { name: files.read, server: files, description: Read a file. }
    - { name: files.list, server: files, description: List files. }
    - { name: files.delete, server: files, description: Delete a file. }
    - { name: reports.write, server: reports, description: Write a report. }
    - { name: reports.export, server: reports, description: Export a report. }
    - { name: admin.reset, server: admin, description: Reset. }
`;

export async function writeDriftPolicies(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-drift-'));
  await writeFile(join(dir, 'drifters.yaml'), DRIFT_POLICY);
  await writeFile(join(dir, 'tools.yaml'), DRIFT_CATALOG);
  return dir;
}

/** A call decided through the API at the node's current time; returns the decision's effect and rule. */
export async function call(node: WardenNode, key: string, tool: string) {
  const res = await request(node, 'POST', '/v1/decide', key, { tool, args: {} });
  if (res.statusCode !== 200) throw new Error(`decide ${tool}: ${res.body}`);
  return res.json() as { effect: string; decidingRule: string | null };
}

/** A temporary grant, as an approved access request leaves it. */
export async function grant(
  node: WardenNode,
  agentId: string,
  tools: string[],
  now: number,
  expiresAt: number,
) {
  const id = newId('grt', now);
  await node.storage.db
    .insertInto('access_grants')
    .values({
      tenant_id: node.bootstrap.tenant.id,
      id,
      agent_id: agentId,
      tools: JSON.stringify(tools),
      request_id: newId('apr', now),
      created_at: now,
      expires_at: expiresAt,
      revoked_at: null,
    })
    .execute();
  return id;
}
