import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, MAX_FILE_BYTES } from '../src/index.js';
import { policy } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function bundleDir(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('loading a bundle from a directory', () => {
  it('reads YAML files recursively, skipping hidden entries and policy tests', async () => {
    const root = await bundleDir('tree', {
      'a.yaml': policy('- {id: a, effect: allow, tools: [x]}', { name: 'a' }),
      'team/b.yml': policy('- {id: b, effect: allow, tools: [y]}', { name: 'b' }),
      'a.test.yaml': 'not: [a policy',
      '.hidden/c.yaml': 'broken: [',
      'README.md': '# not YAML',
    });
    const result = await loadBundle(root);
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.bundle.rules.map((r) => [r.rule.id, r.rule.source.file])).toEqual([
        ['a', 'a.yaml'],
        ['b', 'team/b.yml'],
      ]);
  });

  it('follows symlinked files, as mounted config maps use them; a dangling link is an error', async () => {
    const root = await bundleDir('links', {
      '..data/p.yaml': policy('- {id: linked, effect: allow, tools: [x]}'),
    });
    await symlink(join(root, '..data/p.yaml'), join(root, 'p.yaml'));
    const result = await loadBundle(root);
    expect(result.ok && result.bundle.rules.map((r) => r.rule.id)).toEqual(['linked']);
    await symlink(join(root, 'gone.yaml'), join(root, 'dangling.yaml'));
    const broken = await loadBundle(root);
    expect(broken.ok).toBe(false);
    if (!broken.ok)
      expect(broken.issues[0]?.message).toMatch(/^cannot read the bundle: ENOENT.*dangling\.yaml/);
  });

  it('rejects a file over 1 MiB without parsing it, and the whole bundle with it', async () => {
    const root = await bundleDir('big', {
      'ok.yaml': policy('- {id: a, effect: allow, tools: [x]}'),
      'huge.yaml': `# ${'x'.repeat(MAX_FILE_BYTES)}\n`,
    });
    const result = await loadBundle(root);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues).toMatchObject([
        { file: 'huge.yaml', message: 'file is larger than 1048576 bytes (1 MiB); split it' },
      ]);
  });

  it('explains a missing directory or a file given instead of one', async () => {
    const missing = await loadBundle(join(dir, 'nope'));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.issues[0]?.message).toMatch(/^cannot read the bundle: ENOENT/);
    const root = await bundleDir('file', { 'p.yaml': policy('- {id: a, effect: allow, tools: [x]}') });
    const notDir = await loadBundle(join(root, 'p.yaml'));
    if (!notDir.ok) expect(notDir.issues[0]?.message).toBe('is not a directory');
    expect(notDir.ok).toBe(false);
  });
});
