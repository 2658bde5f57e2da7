import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WardenError } from '../../src/errors.js';
import { checkServerEntry } from '../../src/mcp/server-entry.js';
import { checkServersFile } from '../../src/mcp/servers-file.js';
import { createTestDatabase, startTestNode } from '../helpers/test-node.js';

const stdio = { name: 'github', transport: 'stdio', command: 'node', args: ['server.js'] };
const http = { name: 'remote', transport: 'http', url: 'https://mcp.example.test/mcp' };

function refusal(input: unknown, baseDir?: string): string {
  try {
    checkServerEntry(input, 'servers[0]', baseDir ? { baseDir } : {});
  } catch (error) {
    expect(error).toBeInstanceOf(WardenError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('MCP server entries', () => {
  it('accepts both transports with defaults, and secrets only as references', () => {
    expect(checkServerEntry(stdio, 'servers[0]')).toEqual({
      ...stdio,
      env: {},
      timeoutMs: 60_000,
      estimates: {},
    });
    const entry = checkServerEntry(
      {
        ...http,
        headers: { Authorization: { fromEnv: 'REMOTE_TOKEN' }, 'X-Team': 'support' },
        timeoutSeconds: 5,
        tools: { search: { estimateUsd: 0.002 } },
      },
      'servers[0]',
    );
    expect(entry).toMatchObject({
      headers: { Authorization: { fromEnv: 'REMOTE_TOKEN' }, 'X-Team': 'support' },
      timeoutMs: 5_000,
      estimates: { search: 0.002 },
    });
  });

  it('resolves relative paths against the servers file’s folder, and wants absolute ones from the API', () => {
    const entry = checkServerEntry(
      { ...stdio, cwd: 'tools', env: { TOKEN: { fromFile: 'secrets/token' } } },
      'servers[0]',
      { baseDir: '/etc/warden' },
    );
    expect(entry).toMatchObject({
      cwd: '/etc/warden/tools',
      env: { TOKEN: { fromFile: '/etc/warden/secrets/token' } },
    });
    expect(refusal({ ...stdio, cwd: 'tools' })).toBe('servers[0].cwd: must be an absolute path');
  });

  it.each([
    [{ ...stdio, name: 'git.hub' }, 'servers[0].name: must be 1-40 lower-case letters'],
    [{ ...stdio, name: '' }, 'servers[0].name:'],
    [{ ...stdio, transport: 'sse' }, 'servers[0].transport: must be stdio or http'],
    [{ name: 'x', transport: 'stdio' }, 'servers[0].command: must be a non-empty string'],
    [{ ...stdio, url: 'https://x' }, 'servers[0].url: unknown key for a stdio server'],
    [{ ...stdio, args: 'server.js' }, 'servers[0].args: must be a list of strings'],
    [{ ...stdio, args: ['ok', 3] }, 'servers[0].args[1]: must be a string'],
    [{ ...stdio, env: { 'BAD-NAME': 'x' } }, 'servers[0].env.BAD-NAME: is not an environment variable name'],
    [
      { ...stdio, env: { TOKEN: { fromEnv: 'A', fromFile: '/x' } } },
      'servers[0].env.TOKEN: must be a string, or a mapping',
    ],
    [
      { ...stdio, env: { TOKEN: { fromEnv: '1X' } } },
      'servers[0].env.TOKEN.fromEnv: must be an environment variable name',
    ],
    [
      { ...stdio, timeoutSeconds: 0 },
      'servers[0].timeoutSeconds: must be a number of seconds from 1 to 3600',
    ],
    [
      { ...stdio, tools: { echo: { estimateUsd: -1 } } },
      'servers[0].tools.echo.estimateUsd: must be a number of USD',
    ],
    [{ ...stdio, tools: { echo: { price: 1 } } }, 'servers[0].tools.echo.price: unknown key'],
    [{ ...http, url: 'ftp://x/mcp' }, 'servers[0].url: must be an http or https URL'],
    [{ ...http, url: 'not a url' }, 'servers[0].url: must be an absolute http(s) URL'],
    [{ ...http, url: 'https://user:pw@x/mcp' }, 'servers[0].url: must not carry credentials'],
    [
      { ...http, headers: { 'Bad Header': 'x' } },
      'servers[0].headers.Bad Header: is not an HTTP header name',
    ],
    ['github', 'servers[0]: must be a mapping'],
  ])('refuses %j naming the field', (input, message) => {
    expect(refusal(input)).toContain(message);
  });

  it('refuses a file with a server twice, an unknown key or no list', () => {
    expect(() => checkServersFile({ servers: [stdio, stdio] }, '/x')).toThrow(
      'servers[1].name: github appears twice',
    );
    expect(() => checkServersFile({ server: [] }, '/x')).toThrow('server: unknown key (expected servers)');
    expect(() => checkServersFile({ servers: {} }, '/x')).toThrow('servers: must be a list');
    expect(checkServersFile({}, '/x')).toEqual([]);
  });

  it('keeps a node from starting on a bad servers file, naming the file and the field', async () => {
    const database = await createTestDatabase('sqlite');
    const file = join(database.dataDir, 'servers.yaml');
    await writeFile(file, 'servers:\n  - name: ok\n    transport: stdio\n');
    await expect(
      startTestNode('sqlite', { shared: database, settings: { mcpServersFile: file } }),
    ).rejects.toThrow(`WARDEN_MCP_SERVERS_FILE ${file}: servers[0].command: must be a non-empty string`);
    await database.drop();
  });
});
