import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../../server/test/helpers/api.js';
import { EXAMPLE_POLICIES, startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import type { PolicySet } from '../src/api/types.js';
import { diffLines, diffPolicies } from '../src/pages/policies/policy-diff.js';

// The Policies page's diff, on two versions a real node activated: the example bundle, then the
// same bundle with the support assistant's refund limit lowered and one rule removed.

type VersionDetail = PolicySet & { files: { path: string; text: string }[] };

describe('the diff between two policy versions', () => {
  let t: TestNode;
  let dir: string;
  let before: VersionDetail;
  let after: VersionDetail;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-console-policies-'));
    await cp(EXAMPLE_POLICIES, dir, { recursive: true });
    t = await startTestNode('sqlite', { policyDir: dir });
    const file = join(dir, 'support-assistant.yaml');
    const text = await readFile(file, 'utf8');
    const lowered = text
      .replace('when: args.amount > 0 && args.amount <= 500', 'when: args.amount > 0 && args.amount <= 400')
      .replace(/\n {4}- id: support-manage-kb-drafts\n(?: {6}.*\n)+/, '\n');
    expect(lowered).not.toBe(text);
    await writeFile(file, lowered);
    const reload = await request(t.node, 'POST', '/v1/policies/reload', t.adminToken);
    expect(reload.statusCode).toBe(200);
    const { versions } = (await request(t.node, 'GET', '/v1/policies/versions', t.adminToken)).json() as {
      versions: { version: string; active: boolean }[];
    };
    expect(versions).toHaveLength(2);
    const read = async (version: string) =>
      (
        await request(t.node, 'GET', `/v1/policies/versions/${version}`, t.adminToken)
      ).json() as VersionDetail;
    // Newest activation first.
    after = await read(versions[0]?.version ?? '');
    before = await read(versions[1]?.version ?? '');
  });

  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('names the rules changed and removed, and nothing else', () => {
    expect(diffPolicies(before.policies, after.policies)).toEqual([
      expect.objectContaining({
        policy: 'support-assistant',
        rule: 'support-manage-kb-drafts',
        change: 'removed',
      }),
      expect.objectContaining({
        policy: 'support-assistant',
        rule: 'support-refund-up-to-500',
        change: 'changed',
      }),
    ]);
    expect(diffPolicies(after.policies, before.policies).map((c) => c.change)).toEqual(['added', 'changed']);
    expect(diffPolicies(before.policies, before.policies)).toEqual([]);
  });

  it("shows the file's changed lines", () => {
    const old = before.files.find((f) => f.path.endsWith('support-assistant.yaml'))?.text ?? '';
    const now = after.files.find((f) => f.path.endsWith('support-assistant.yaml'))?.text ?? '';
    const changed = diffLines(old, now).filter((l) => l.kind !== ' ');
    expect(changed).toContainEqual({ kind: '-', line: '      when: args.amount > 0 && args.amount <= 500' });
    expect(changed).toContainEqual({ kind: '+', line: '      when: args.amount > 0 && args.amount <= 400' });
    expect(changed).toContainEqual({ kind: '-', line: '    - id: support-manage-kb-drafts' });
    expect(changed.filter((l) => l.kind === '+')).toHaveLength(1);
    // Unchanged files differ in no line.
    const tools = (set: VersionDetail) => set.files.find((f) => f.path.endsWith('tools.yaml'))?.text ?? '';
    expect(diffLines(tools(before), tools(after)).every((l) => l.kind === ' ')).toBe(true);
  });
});
