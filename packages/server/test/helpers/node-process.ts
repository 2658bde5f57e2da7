import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

const CLI = join(import.meta.dirname, '../../../cli/src/bin.ts');

export interface NodeProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
}

export interface NodeProcessOptions {
  readonly databaseUrl?: string;
  readonly policyDir: string;
  /** Reuse a data directory (a restart); a fresh one otherwise. */
  readonly dataDir?: string;
  /** Where the audit key files and anchor live; the nodes of one deployment share them. */
  readonly keyDir?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** A real `warden up` process, from the sources. */
export async function startProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'warden-node-'));
  const child = spawn(process.execPath, ['--conditions=@warden/source', '--import', 'tsx', CLI, 'up'], {
    env: {
      ...process.env,
      ...(options.databaseUrl ? { WARDEN_DATABASE_URL: options.databaseUrl } : {}),
      WARDEN_DATA_DIR: dataDir,
      WARDEN_PORT: '0',
      WARDEN_POLICY_DIR: options.policyDir,
      WARDEN_LOG_LEVEL: 'warn',
      WARDEN_POLICY_SYNC_INTERVAL_MS: '60000',
      ...(options.keyDir
        ? {
            WARDEN_AUDIT_SIGNING_KEY_FILE: join(options.keyDir, 'audit-signing.key'),
            WARDEN_AUDIT_KEK_FILE: join(options.keyDir, 'audit-kek.key'),
            WARDEN_AUDIT_ANCHOR_DIR: join(options.keyDir, 'anchor'),
          }
        : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => reject(new Error(`warden up exited with ${code}:\n${output}`)));
  });
  return { url, dataDir, child, output: () => output };
}

/** SIGTERM and wait; with `keepData` the data directory stays for a restart. */
export async function stopProcess(node: NodeProcess, keepData = false): Promise<void> {
  if (node.child.exitCode === null && node.child.signalCode === null) {
    const exited = new Promise((resolve) => node.child.once('exit', resolve));
    node.child.kill('SIGTERM');
    await exited;
  }
  if (!keepData) rmSync(node.dataDir, { recursive: true, force: true });
}

/** The fields tests read from the API's answers. */
export interface ApiBody {
  readonly effect?: string;
  readonly code?: string;
  readonly version?: string;
  readonly changed?: boolean;
  readonly previousVersion?: string | null;
  readonly secret?: string;
  readonly decisionId?: string;
  readonly human?: { readonly id: string };
  readonly agent?: { readonly id: string };
  readonly key?: { readonly id: string };
}

export async function call(url: string, token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

/** A support-assistant agent in staging, created through the API of `url`. */
export async function createAgentOn(url: string, adminToken: string, name: string) {
  const me = await call(url, adminToken, 'GET', '/v1/me');
  const created = await call(url, adminToken, 'POST', '/v1/agents', {
    name,
    ownerId: me.body.human?.id,
    purpose: 'process test',
    risk: 'internal',
    environments: ['staging'],
    roles: ['support-assistant'],
  });
  expect(created.status).toBe(201);
  return {
    id: created.body.agent?.id ?? '',
    key: created.body.secret ?? '',
    keyId: created.body.key?.id ?? '',
  };
}
