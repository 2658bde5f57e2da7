import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import type { Signals } from '../signals/signals.js';
import type { Storage } from '../storage/database.js';
import {
  type CheckpointAnchor,
  DirectoryAnchor,
  loadOrCreateSigningKey,
  MultiAnchor,
  type SigningKey,
  WebhookAnchor,
  writePublicKeyFile,
} from './checkpoint/index.js';
import { Checkpointer } from './checkpointer.js';
import { DataProtection } from './data-protection.js';
import { deriveEventKey, parseKeyEncryptionKey } from './event-mac.js';
import { assertAuditKeysMatch } from './key-check.js';
import { MerkleAuditLog } from './merkle-audit-log.js';
import { Redactor } from './redaction/index.js';
import { AuditKeyStore } from './sealing/key-store.js';
import { PayloadSealer } from './sealing/payload-sealer.js';
import { readOrCreateSecretFile } from './secret-file.js';

/** Everything of the audit trail a node runs: the log, its keys, and the checkpointer. */
export interface AuditTrail {
  readonly log: MerkleAuditLog;
  readonly keys: AuditKeyStore;
  readonly sealer: PayloadSealer;
  readonly redactor: Redactor;
  /** Subject sealing and redaction for data stored outside the log too (decision rows). */
  readonly protection: DataProtection;
  readonly signingKey: SigningKey;
  /** A worker the node starts with the others; `close` stops it and signs what is left. */
  readonly checkpointer: Checkpointer;
  /** The checkpoint origin (log id) of a tenant's log. */
  origin(tenantId: string): string;
  close(): Promise<void>;
}

export interface AuditTrailDeps {
  readonly config: Config;
  readonly storage: Storage;
  readonly signals: Signals;
  readonly clock: () => number;
  readonly log: FastifyBaseLogger;
}

export async function createAuditTrail({
  config,
  storage,
  signals,
  clock,
  log,
}: AuditTrailDeps): Promise<AuditTrail> {
  const signingKey = await loadOrCreateSigningKey(config.auditSigningKeyFile, config.auditLogName);
  // The public half beside the key, for verifiers: `warden audit verify` finds it there by default.
  await writePublicKeyFile(`${config.auditSigningKeyFile}.pub`, signingKey.verifierKey);
  const kek = await loadKeyEncryptionKey(config.auditKeyEncryptionKeyFile);
  await assertAuditKeysMatch(storage, kek, signingKey, {
    signingKeyFile: config.auditSigningKeyFile,
    kekFile: config.auditKeyEncryptionKeyFile,
  });
  const keys = new AuditKeyStore(storage, kek);
  const sealer = new PayloadSealer(keys);
  const redactor = new Redactor({ paths: config.auditRedactPaths });
  const eventKey = deriveEventKey(kek);
  const auditLog = new MerkleAuditLog(storage.dialect, redactor, sealer, eventKey);
  const origin = (tenantId: string) => `${config.auditLogName}/${tenantId}`;

  const anchors: CheckpointAnchor[] = [new DirectoryAnchor(config.auditAnchorDir)];
  if (config.auditAnchorWebhookUrl && config.auditAnchorWebhookSecret) {
    anchors.push(new WebhookAnchor(config.auditAnchorWebhookUrl, config.auditAnchorWebhookSecret));
  }
  const checkpointer = new Checkpointer({
    storage,
    key: signingKey,
    eventKey,
    origin,
    anchor: anchors.length === 1 && anchors[0] ? anchors[0] : new MultiAnchor(anchors),
    every: config.auditCheckpointEvery,
    intervalMs: config.auditCheckpointIntervalMs,
    clock,
    log,
  });
  await checkpointer.assertUnsignedTailsVouched();
  const stopAppends = auditLog.onAppend((tenantId, size) => checkpointer.appended(tenantId, size));
  const stopSignals = signals.subscribe((signal) => {
    if (signal.type === 'audit.keys_destroyed') keys.evict(signal.tenantId, signal.keyIds);
  });
  const stopResets = signals.onReset(() => keys.clear());

  return {
    log: auditLog,
    keys,
    sealer,
    redactor,
    protection: new DataProtection(sealer, redactor, config.auditSubjectPaths),
    signingKey,
    checkpointer,
    origin,
    async close() {
      stopAppends();
      stopSignals();
      stopResets();
      await checkpointer.stop();
      // Sign what this node appended last, so a clean shutdown leaves nothing unsigned.
      await checkpointer.run();
    },
  };
}

async function loadKeyEncryptionKey(path: string): Promise<Buffer> {
  const text = await readOrCreateSecretFile(
    path,
    'Key-encryption key file',
    () => `${randomBytes(32).toString('base64')}\n`,
  );
  return parseKeyEncryptionKey(text, path);
}
