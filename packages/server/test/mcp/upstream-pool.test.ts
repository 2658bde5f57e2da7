import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkServerEntry } from '../../src/mcp/server-entry.js';
import {
  AGENT_CONNECTION_IDLE_MS,
  MAX_AGENT_CONNECTIONS,
  UpstreamPool,
} from '../../src/mcp/upstream-pool.js';
import { SecretBox } from '../../src/secrets/secret-box.js';

const quiet = { warn: () => {}, debug: () => {} };
// Never started here: an upstream connects on its first request, and these tests send none.
const entry = (name: string, allow?: string[]) =>
  checkServerEntry({ name, transport: 'stdio', command: 'node', ...(allow ? { allow } : {}) }, 'servers[0]');

/** Which connection an agent's calls go over, and how long the agents' own connections live. */
describe('upstream pool connections per agent', () => {
  async function poolWith(now: { ms: number }) {
    const box = await SecretBox.load(join(await mkdtemp(join(tmpdir(), 'warden-pool-')), 'secrets.key'));
    const pool = new UpstreamPool(quiet, box, {}, () => now.ms);
    await pool.replace('ten_1', [entry('shared'), entry('chatty', ['sampling']), entry('rooted', ['roots'])]);
    const get = (name: string) => pool.get('ten_1', name) ?? expect.unreachable();
    return { pool, get };
  }

  it('gives each agent its own connection only to servers that relay sampling or elicitation', async () => {
    const { pool, get } = await poolWith({ ms: 0 });
    expect(pool.forAgent(get('shared'), 'agt_a')).toBe(get('shared'));
    expect(pool.forAgent(get('rooted'), 'agt_a')).toBe(get('rooted'));
    const a = pool.forAgent(get('chatty'), 'agt_a');
    expect(a).not.toBe(get('chatty'));
    expect(pool.forAgent(get('chatty'), 'agt_a')).toBe(a);
    expect(pool.forAgent(get('chatty'), 'agt_b')).not.toBe(a);
    expect(pool.agentConnections(get('chatty'))).toBe(2);
    expect(pool.agentConnections(get('shared'))).toBe(0);
    await pool.close();
    expect(a.status().state).toBe('closed');
  });

  it('closes an agent’s own connections when unused for a while, or when the server changes', async () => {
    const now = { ms: 0 };
    const { pool, get } = await poolWith(now);
    const a = pool.forAgent(get('chatty'), 'agt_a');
    now.ms = AGENT_CONNECTION_IDLE_MS / 2;
    const b = pool.forAgent(get('chatty'), 'agt_b');
    now.ms = AGENT_CONNECTION_IDLE_MS + 1;
    await pool.sweepIdle();
    expect(a.status().state).toBe('closed');
    expect(b.status().state).toBe('idle');
    expect(pool.agentConnections(get('chatty'))).toBe(1);

    await pool.replace('ten_1', [entry('chatty', ['sampling', 'elicitation'])]);
    expect(b.status().state).toBe('closed');
    expect(pool.agentConnections(get('chatty'))).toBe(0);
    await pool.close();
  });

  it('makes room past the most connections by closing the least recently used idle one', async () => {
    const now = { ms: 0 };
    const { pool, get } = await poolWith(now);
    const connections = [];
    for (let i = 0; i < MAX_AGENT_CONNECTIONS; i++) {
      now.ms = i;
      connections.push(pool.forAgent(get('chatty'), `agt_${i}`));
    }
    // agt_0 is used again, so agt_1 is now the least recently used.
    now.ms = MAX_AGENT_CONNECTIONS;
    pool.forAgent(get('chatty'), 'agt_0');
    pool.forAgent(get('chatty'), 'agt_new');
    expect(pool.agentConnections(get('chatty'))).toBe(MAX_AGENT_CONNECTIONS);
    expect(connections[1]?.status().state).toBe('closed');
    expect(connections[0]?.status().state).toBe('idle');
    await pool.close();
  });
});
