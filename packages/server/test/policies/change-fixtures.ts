import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Notification, Notifier } from '../../src/notify/notifier.js';

/** The rules a test bundle gives agents of role `worker`. */
export interface WorkerRule {
  readonly id: string;
  readonly effect: 'allow' | 'deny' | 'review';
  readonly tools: readonly string[];
  readonly when?: string;
}

/** Today's bundle: workers read, write and list files and may not delete them. */
export const V1: readonly WorkerRule[] = [
  { id: 'worker-read', effect: 'allow', tools: ['files.read', 'files.list'] },
  { id: 'worker-write', effect: 'allow', tools: ['files.write'] },
  { id: 'worker-no-delete', effect: 'deny', tools: ['files.delete'] },
];

/** The candidate: writes become denied, reads of secrets reviewed, deletes allowed. */
export const V2: readonly WorkerRule[] = [
  {
    id: 'worker-read-secret',
    effect: 'review',
    tools: ['files.read'],
    when: "args.path.startsWith('/secret')",
  },
  { id: 'worker-read', effect: 'allow', tools: ['files.read', 'files.list'] },
  { id: 'worker-write-frozen', effect: 'deny', tools: ['files.write'] },
  { id: 'worker-delete', effect: 'allow', tools: ['files.delete'] },
];

export function policyYaml(rules: readonly WorkerRule[]): string {
  const lines = [
    'apiVersion: warden/v1',
    'kind: Policy',
    'metadata:',
    '  name: workers',
    '  owner: owner@example.com',
    'spec:',
    '  agents:',
    '    roles: [worker]',
    '  rules:',
  ];
  for (const rule of rules) {
    lines.push(
      `    - id: ${rule.id}`,
      `      effect: ${rule.effect}`,
      `      tools: [${rule.tools.join(', ')}]`,
    );
    if (rule.when) lines.push(`      when: ${JSON.stringify(rule.when)}`);
    if (rule.effect === 'review') lines.push('      approval:', '        approvers: [group:security]');
    lines.push(`      reason: ${rule.id}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A policy directory holding one bundle of `rules`. */
export async function bundleDir(rules: readonly WorkerRule[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-change-'));
  await writeBundle(dir, rules);
  return dir;
}

export async function writeBundle(dir: string, rules: readonly WorkerRule[]): Promise<void> {
  await writeFile(join(dir, 'workers.yaml'), policyYaml(rules));
}

/** The files of a directory as the API takes them. */
export async function filesOf(dir: string): Promise<{ path: string; text: string }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  return Promise.all(names.map(async (path) => ({ path, text: await readFile(join(dir, path), 'utf8') })));
}

export const files = (rules: readonly WorkerRule[]) => [{ path: 'workers.yaml', text: policyYaml(rules) }];

export const removeDir = (dir: string) => rm(dir, { recursive: true, force: true });

export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
  }
}
