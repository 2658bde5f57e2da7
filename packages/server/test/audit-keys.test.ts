import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  DATABASES,
  startTestNode,
  type TestDatabaseHandle,
} from './helpers/test-node.js';

/** The audit key files: created once with mode 0600, and the same for every node of a deployment. */
describe.each(DATABASES)('audit key files (%s)', (kind) => {
  let database: TestDatabaseHandle;
  let elsewhere: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    elsewhere = mkdtempSync(join(tmpdir(), 'warden-other-keys-'));
    const first = await startTestNode(kind, { shared: database });
    // Something sealed and something signed, for the next starts to be checked against.
    await first.node.auditTrail.checkpointer.run();
    await first.close();
  });
  afterAll(async () => {
    rmSync(elsewhere, { recursive: true, force: true });
    await database.drop();
  });

  it('creates the signing key and the key-encryption key readable by the owner only', () => {
    for (const file of ['audit-signing.key', 'audit-kek.key']) {
      expect(statSync(join(database.dataDir, file)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(database.dataDir, 'audit-signing.key.pub')).isFile()).toBe(true);
  });

  it('refuses to start with another signing key than the one that signed the log', async () => {
    await expect(
      startTestNode(kind, {
        shared: database,
        settings: { auditSigningKeyFile: join(elsewhere, 'signing.key') },
      }),
    ).rejects.toThrow(
      /signing\.key did not sign this database's audit checkpoints.*WARDEN_AUDIT_SIGNING_KEY_FILE/,
    );
  });

  it('refuses to start with another key-encryption key than the one that wrapped the data keys', async () => {
    await expect(
      startTestNode(kind, {
        shared: database,
        settings: { auditKeyEncryptionKeyFile: join(elsewhere, 'kek.key') },
      }),
    ).rejects.toThrow(/kek\.key is not the key-encryption key.*WARDEN_AUDIT_KEK_FILE/);
  });

  it('starts again with the same files', async () => {
    const again = await startTestNode(kind, { shared: database });
    await again.close();
  });
});
