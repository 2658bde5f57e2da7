import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const root = resolve(import.meta.dirname, '../../../..');
const TSX = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const BIN = join(root, 'packages/cli/src/bin.ts');
/** `warden` from its sources, as tests run it (no build): what `npx warden` runs once built. */
const WARDEN = ['--conditions=@warden/source', '--import', TSX, BIN];

export type Era = 'legacy' | 'modern';

export interface BridgeOptions {
  readonly url: string;
  readonly key: string;
  /** After `mcp connect`: `--server everything`. */
  readonly args?: readonly string[];
  /** The protocol the desktop client speaks over stdio: a 2025 `initialize`, or 2026-07-28. */
  readonly era: Era;
  /** The client was told the tool list changed. */
  readonly onToolsChanged?: () => void;
}

export interface Bridge {
  readonly client: Client;
  /** Everything the bridge wrote to stderr so far. */
  stderr(): string;
  /** Closes stdin, as a desktop client does when it quits; the bridge exits. */
  close(): Promise<void>;
}

/** `warden mcp connect` started the way a desktop client starts it, and an SDK client connected to it. */
export async function connectBridge(options: BridgeOptions): Promise<Bridge> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...WARDEN, 'mcp', 'connect', ...(options.args ?? [])],
    env: { ...getDefaultEnvironment(), WARDEN_URL: options.url, WARDEN_AGENT_KEY: options.key },
    cwd: root,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client(
    { name: 'desktop-client', version: '1.0.0' },
    {
      ...(options.era === 'modern' ? { versionNegotiation: { mode: 'auto' as const } } : {}),
      listChanged: {
        tools: { autoRefresh: false, debounceMs: 0, onChanged: () => options.onToolsChanged?.() },
      },
    },
  );
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`the bridge did not connect: ${(error as Error).message}\n${stderr}`);
  }
  return { client, stderr: () => stderr, close: () => client.close() };
}

export interface BridgeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `warden mcp connect` with this environment and stdin closed at once: for how it refuses to start. */
export function runBridge(env: Record<string, string>, args: readonly string[] = []): Promise<BridgeRun> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [...WARDEN, 'mcp', 'connect', ...args],
      { cwd: root, env: { ...getDefaultEnvironment(), ...env } },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}
