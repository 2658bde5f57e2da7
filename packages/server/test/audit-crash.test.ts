import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyFromDatabase } from '../src/audit/verify/index.js';
import { loadConfig } from '../src/config/config.js';
import { openStorage } from '../src/storage/database.js';
import { call, createAgentOn, startProcess, stopProcess } from './helpers/node-process.js';
import { createTestDatabase, DATABASES, EXAMPLE_POLICIES } from './helpers/test-node.js';

/**
 * "No response before commit", tested the hard way: a node answering decisions as fast as it can is
 * killed with SIGKILL (no shutdown, no flush), then restarted on the same data. Every decision that
 * got an answer must be in the log, and the log must verify.
 */
describe.each(DATABASES)('a node killed with SIGKILL under decide load (%s)', (kind) => {
  it('keeps every answered decision, and its log verifies after the restart', async () => {
    const database = await createTestDatabase(kind);
    // synchronous=FULL (the default) for SQLite: an answered decision must survive the kill.
    const options = { databaseUrl: database.url, policyDir: EXAMPLE_POLICIES, dataDir: database.dataDir };
    try {
      const first = await startProcess(options);
      const admin = readFileSync(join(database.dataDir, 'admin-token'), 'utf8').trim();
      const agent = await createAgentOn(first.url, admin, 'under-load');
      const answered: string[] = [];
      let killed = false;
      const load = Array.from({ length: 32 }, async () => {
        while (!killed) {
          try {
            const res = await call(first.url, agent.key, 'POST', '/v1/decide', {
              tool: 'kb.articles.search',
              args: { query: `load ${answered.length}` },
            });
            if (res.status === 200 && res.body.decisionId) answered.push(res.body.decisionId);
          } catch {
            // The connection died with the process: this decision was never answered.
          }
        }
      });
      const deadline = Date.now() + 30_000;
      while (answered.length < 300 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(answered.length).toBeGreaterThanOrEqual(300);
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGKILL');
      killed = true;
      await Promise.all(load);
      await exited;

      const second = await startProcess(options);
      // A clean stop signs a final checkpoint over everything in the log.
      await stopProcess(second, true);

      const storage = openStorage(
        loadConfig({ overrides: { databaseUrl: database.url, dataDir: database.dataDir } }),
      );
      try {
        const logged = await storage.db
          .selectFrom('audit_events')
          .select('subject_id')
          .where('subject_id', 'in', answered)
          .execute();
        expect(new Set(logged.map((e) => e.subject_id)).size).toBe(answered.length);
        const report = await verifyFromDatabase(storage, 'default', {
          full: true,
          verifierKey: readFileSync(join(database.dataDir, 'audit-signing.key.pub'), 'utf8').trim(),
          logName: 'warden',
          anchorDir: join(database.dataDir, 'audit-anchor'),
        });
        expect(report.failures).toEqual([]);
        expect(report.verdict).toBe('verified');
        expect(
          report.unsignedTail,
          `the restarted node's final checkpoint is missing:\n${second.output()}`,
        ).toBe(0);
      } finally {
        await storage.close();
      }
    } finally {
      await database.drop();
    }
  }, 90_000);
});
