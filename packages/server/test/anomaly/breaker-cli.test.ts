import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../cli/src/index.js';
import { RecordingNotifier } from '../approvals/approvals-fixtures.js';
import { auditEventsOf } from '../helpers/api.js';
import { seedAgent } from '../helpers/seed-agent.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { breakerOn, HourClock } from './anomaly-fixtures.js';

/** `warden agents reset-breaker` against a real node: the CLI and the route agree on the contract. */
describe('warden agents reset-breaker against a real server', () => {
  const clock = new HourClock();
  let t: TestNode;
  let url: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite', { clock: clock.now });
    breakerOn(t.node, clock.now, new RecordingNotifier());
    url = await t.node.listen();
  });
  afterAll(() => t.close());

  async function cli(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await run(['agents', ...argv, '--url', url, '--token', t.adminToken], {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
      cwd: process.cwd(),
    });
    return { code, out, err };
  }

  /** An agent whose breaker is open: the state the monitor's trip leaves behind. */
  async function tripped(): Promise<string> {
    const { agent } = await seedAgent(t.node);
    await t.node.storage.db
      .updateTable('agents')
      .set({ breaker_tripped_at: clock.now(), breaker_reason: 'spend of $9.00 in 300s' })
      .where('id', '=', agent.id)
      .execute();
    return agent.id;
  }

  it('resets an open breaker with a comment, and reports a closed one as a conflict', async () => {
    const id = await tripped();
    const shown = await cli('show', id, '--json');
    expect(JSON.parse(shown.out).agent.breaker).toMatchObject({ reason: 'spend of $9.00 in 300s' });

    const done = await cli('reset-breaker', id, '--comment', 'expected batch');
    expect(done.code, done.err).toBe(0);
    expect(done.out).toContain(`reset the circuit breaker of agent ${id}`);
    const events = (await auditEventsOf(t.node, id)).filter((e) => e.type === 'agent.breaker_reset');
    expect(events.map((e) => e.payload?.comment)).toEqual(['expected batch']);

    const again = await cli('reset-breaker', id);
    expect(again.code).toBe(1);
    expect(again.err).toContain('conflict');
  });

  it('prints the JSON answer with --json', async () => {
    const id = await tripped();
    const done = await cli('reset-breaker', id, '--json');
    expect(done.code, done.err).toBe(0);
    expect(JSON.parse(done.out).agent).toMatchObject({ id, breaker: null });
  });

  it('checks its arguments before connecting', async () => {
    const badId = await cli('reset-breaker', 'agt_nope');
    expect(badId.code).toBe(2);
    expect(badId.err).toContain('agent id: expected agt_');
    const empty = await cli('reset-breaker', await tripped(), '--comment', ' ');
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('--comment: must not be empty');
    const missing = await cli('reset-breaker');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('missing the agent id');
  });
});
