import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly worker?: string;
  readonly tenantId?: string;
  readonly err?: { readonly message: string };
}

const WARN = 40;

describe.each(DATABASES)('policy sync failures (%s)', (db) => {
  let t: TestNode;
  let lines: LogLine[];

  beforeEach(async () => {
    lines = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    t = await startTestNode(db, {
      logger: pino({ level: 'warn' }, stream),
      settings: { policySyncIntervalMs: 100 },
    });
  });
  afterEach(() => t.close());

  /** A stored active version whose sources no longer compile (written by a newer, broken node). */
  async function activateBrokenVersion(version: string) {
    const tenantId = t.node.bootstrap.tenant.id;
    const files = JSON.stringify([{ path: 'broken.yaml', text: 'kind: Nonsense\n' }]);
    await t.node.storage.db
      .insertInto('policy_versions')
      .values({ tenant_id: tenantId, version, files, rule_count: 0, created_at: Date.now() })
      .execute();
    await t.node.storage.db
      .updateTable('policy_active')
      .set({ version, activated_at: Date.now(), activated_by: 'system:test' })
      .where('tenant_id', '=', tenantId)
      .execute();
    return tenantId;
  }

  it('logs a periodic sync that fails, with the worker and the reason, and keeps the old version', async () => {
    const before = t.node.registry.versionOf(t.node.bootstrap.tenant.id);
    await activateBrokenVersion('f'.repeat(64));
    await vi.waitFor(() =>
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: WARN,
          worker: 'policy sync',
          err: expect.objectContaining({ message: expect.stringContaining('does not compile') }),
        }),
      ),
    );
    expect(t.node.registry.versionOf(t.node.bootstrap.tenant.id)).toBe(before);
  });

  it('logs a sync after an activation signal that fails', async () => {
    const version = 'e'.repeat(64);
    const tenantId = await activateBrokenVersion(version);
    await t.node.signals.publish({ type: 'policy.activated', tenantId, version });
    await vi.waitFor(() =>
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: WARN,
          tenantId,
          msg: expect.stringContaining('policy sync after an activation failed'),
          err: expect.objectContaining({ message: expect.stringContaining('does not compile') }),
        }),
      ),
    );
  });
});
