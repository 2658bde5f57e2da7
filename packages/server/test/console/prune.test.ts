import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneConsoleSignIns } from '../../src/console/session-store.js';
import { request } from '../helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { browse, signIn } from './console-client.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const IDLE = 8 * HOUR;

describe.each(DATABASES)('pruning console sessions and codes (%s)', (db) => {
  let t: TestNode;
  let now = Date.now();
  beforeAll(async () => {
    t = await startTestNode(db, { clock: () => now });
  });
  afterAll(() => t?.close());

  const ids = async () => ({
    sessions: (await t.node.storage.db.selectFrom('console_sessions').select('id').execute()).map(
      (r) => r.id,
    ),
    codes: (await t.node.storage.db.selectFrom('console_sign_in_codes').select('id').execute()).length,
  });

  it('deletes what ended more than a day ago, keeps live sessions, and is harmless run twice at once', async () => {
    const signedOut = await signIn(t.node, { token: t.adminToken });
    await browse(t.node, signedOut, 'POST', '/v1/console/sign-out');
    const idle = await signIn(t.node, { token: t.adminToken });
    await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken);
    now += IDLE + DAY + 1;
    const live = await signIn(t.node, { token: t.adminToken });
    const fresh = await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken);
    expect((await ids()).sessions).toHaveLength(3);

    const results = await Promise.all([
      pruneConsoleSignIns(t.node.storage, now, IDLE, DAY),
      pruneConsoleSignIns(t.node.storage, now, IDLE, DAY),
    ]);
    expect(results.reduce((sum, r) => sum + r.sessions, 0)).toBe(2);
    expect(results.reduce((sum, r) => sum + r.codes, 0)).toBe(1);
    const left = await ids();
    expect(left.sessions).toEqual([live.sessionId]);
    expect(left.sessions).not.toContain(idle.sessionId);
    expect(left.codes).toBe(1);
    expect((await browse(t.node, live, 'GET', '/v1/me')).statusCode).toBe(200);
    // The code still unused is kept until a day after it expired.
    expect(fresh.statusCode).toBe(201);
  });
});
