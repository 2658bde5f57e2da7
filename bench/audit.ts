/**
 * Audit log benchmark.
 * - appends/s through group commit on SQLite (one node, 256 concurrent writers, synchronous=FULL);
 * - appends/s on PostgreSQL with two writer processes appending to the same tenant's log at once;
 * - full verification time of a log of BENCH_AUDIT_EVENTS events (default 1,000,000), from SQLite;
 * - inclusion proof time and size at that log size.
 * Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { AuditEventInput } from '../packages/server/src/audit/audit-log.js';
import { inclusionProof, verifyInclusion } from '../packages/server/src/audit/merkle/index.js';
import { subtreeReader } from '../packages/server/src/audit/subtree-store.js';
import { verifyFromDatabase } from '../packages/server/src/audit/verify/index.js';
import { loadConfig } from '../packages/server/src/config/config.js';
import { createNode, type WardenNode } from '../packages/server/src/main.js';
import { GroupCommit } from '../packages/server/src/storage/group-commit.js';
import { recordResult } from './machine.js';

const SELF = fileURLToPath(import.meta.url);
const POSTGRES_URL = process.env.WARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const VERIFY_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const APPEND_EVENTS = Number(process.env.BENCH_AUDIT_APPENDS ?? 100_000);
const WRITERS = 256;
const PROOFS = 1_000;

/** A decision event as the decide path writes it: about 600 bytes of canonical JSON once sealed. */
function decisionEvent(i: number): AuditEventInput {
  return {
    type: 'decision.allow',
    actor: {
      type: 'agent',
      id: 'agt_01BENCH0000000000000000000',
      onBehalfOf: 'usr_01BENCH000000000000000000',
    },
    subject: { type: 'decision', id: `dec_${i.toString().padStart(26, '0')}` },
    task: { id: `task-${i % 1000}` },
    tool: 'helpdesk.tickets.read',
    effect: 'allow',
    rules: ['support-read'],
    policyVersion: 'a'.repeat(64),
    payload: {
      args: { id: i, queue: 'billing', fields: ['subject', 'status', 'priority'] },
      argsDigest: 'b'.repeat(64),
      code: 'granted',
      reason: 'support assistants read tickets',
      decidingRule: 'support-read',
      environment: 'production',
      evaluationMicros: 2.1,
    },
    at: Date.now(),
  };
}

async function startNode(settings: Record<string, unknown>): Promise<WardenNode> {
  const config = loadConfig({ overrides: { logLevel: 'warn', port: 0, ...settings } });
  return createNode(config);
}

/** Appends `count` events with `writers` concurrent writers through group commit; returns events/s. */
async function appendLoad(node: WardenNode, count: number, writers: number): Promise<number> {
  const tenantId = node.bootstrap.tenant.id;
  const commits = new GroupCommit<AuditEventInput>(
    node.storage,
    async (trx, events) => {
      await node.audit.append(trx, tenantId, events);
      return events.map(() => undefined);
    },
    1_000,
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        next += 1;
        await commits.submit(decisionEvent(next));
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function sqliteAppends(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-audit-'));
  const node = await startNode({ dataDir, sqliteSynchronous: 'full' });
  try {
    await appendLoad(node, 5_000, WRITERS);
    return await appendLoad(node, APPEND_EVENTS, WRITERS);
  } finally {
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Child process: one of the two PostgreSQL writers. Waits for "go" on stdin, prints its figures. */
async function writerProcess(databaseUrl: string, dataDir: string, count: number): Promise<void> {
  const node = await startNode({ dataDir, databaseUrl, databasePoolSize: 4 });
  await appendLoad(node, 1_000, WRITERS);
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  const started = Date.now();
  await appendLoad(node, count, WRITERS);
  process.stdout.write(`${JSON.stringify({ count, ms: Date.now() - started })}\n`);
  await node.close();
}

async function postgresAppends(): Promise<number> {
  const schema = `bench_audit_${Date.now().toString(36)}`;
  await adminQuery(`create schema ${schema}`);
  const databaseUrl = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-audit-pg-'));
  // The first node migrates and creates the tenant and keys; the writers share them.
  await (await startNode({ dataDir, databaseUrl })).close();
  const perWriter = Math.round(APPEND_EVENTS / 2);
  try {
    const writers = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', SELF, 'writer', databaseUrl, dataDir, String(perWriter)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const lines = writers.map((child) => lineReader(child.stdout));
    await Promise.all(lines.map((next) => next()));
    const started = Date.now();
    for (const child of writers) child.stdin.write('go\n');
    await Promise.all(lines.map((next) => next()));
    const seconds = (Date.now() - started) / 1000;
    await Promise.all(writers.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query('select count(*)::int as n, max(seq)::int as last from audit_events');
    await client.end();
    if (rows[0].n !== rows[0].last + 1)
      throw new Error(`gap in the log: ${rows[0].n} events, last seq ${rows[0].last}`);
    return (perWriter * 2) / seconds;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await adminQuery(`drop schema ${schema} cascade`);
  }
}

async function verifyAndProofs(): Promise<{ verifySeconds: number; proofMs: number; proofBytes: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-verify-'));
  const node = await startNode({ dataDir, sqliteSynchronous: 'normal' });
  try {
    const tenantId = node.bootstrap.tenant.id;
    const existing = await node.storage.db
      .selectFrom('audit_log_state')
      .select('size')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const started = Date.now();
    await appendLoad(node, VERIFY_EVENTS - existing.size, WRITERS);
    await node.auditTrail.checkpointer.run();
    process.stderr.write(
      `built a log of ${VERIFY_EVENTS} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );

    const verifyStart = performance.now();
    const report = await verifyFromDatabase(node.storage, tenantId, {
      full: true,
      logName: node.config.auditLogName,
      verifierKey: node.auditTrail.signingKey.verifierKey,
    });
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    if (report.verdict !== 'verified')
      throw new Error(`verification failed: ${JSON.stringify(report.failures[0])}`);

    const checkpoint = await node.storage.db
      .selectFrom('audit_checkpoints')
      .select(['size', 'root'])
      .where('tenant_id', '=', tenantId)
      .orderBy('size', 'desc')
      .executeTakeFirstOrThrow();
    const read = subtreeReader(node.storage.db, tenantId);
    let bytes = 0;
    const proofStart = performance.now();
    for (let i = 0; i < PROOFS; i++) {
      const seq = Math.floor(Math.random() * checkpoint.size);
      const leaf = await node.storage.db
        .selectFrom('audit_events')
        .select('leaf_hash')
        .where('tenant_id', '=', tenantId)
        .where('seq', '=', seq)
        .executeTakeFirstOrThrow();
      const proof = await inclusionProof(seq, checkpoint.size, read);
      const ok = verifyInclusion(
        Buffer.from(leaf.leaf_hash, 'base64'),
        seq,
        checkpoint.size,
        proof,
        Buffer.from(checkpoint.root, 'base64'),
      );
      if (!ok) throw new Error(`inclusion proof of ${seq} does not verify`);
      bytes = Math.max(bytes, proof.length * 32);
    }
    const proofMs = (performance.now() - proofStart) / PROOFS;
    return { verifySeconds, proofMs, proofBytes: bytes };
  } finally {
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const sqlite = await sqliteAppends();
  process.stderr.write(`sqlite: ${Math.round(sqlite)} appends/s\n`);
  const postgres = await postgresAppends();
  process.stderr.write(`postgres, two writers: ${Math.round(postgres)} appends/s\n`);
  const { verifySeconds, proofMs, proofBytes } = await verifyAndProofs();
  const result = {
    bench: 'audit',
    sqlite_appends_per_s: Math.round(sqlite),
    pg_appends_per_s: Math.round(postgres),
    verify_1m_s: Number(((verifySeconds * 1_000_000) / VERIFY_EVENTS).toFixed(2)),
    proof_ms: Number(proofMs.toFixed(3)),
    proof_bytes: proofBytes,
  };
  recordResult('audit', [
    `SQLite (synchronous=FULL), ${WRITERS} writers, group commit: ${result.sqlite_appends_per_s} appends/s (target ≥ 20,000)`,
    `PostgreSQL, two writer processes on one tenant's log: ${result.pg_appends_per_s} appends/s (target ≥ 5,000)`,
    `full verification of ${VERIFY_EVENTS.toLocaleString('en')} events: ${verifySeconds.toFixed(2)} s (target ≤ 10 s per 1M)`,
    `inclusion proof at size ${VERIFY_EVENTS.toLocaleString('en')}: ${result.proof_ms} ms, ${proofBytes} bytes (targets ≤ 1 ms, ≤ 1 KiB)`,
  ]);
  console.log(JSON.stringify(result));
}

function lineReader(stream: NodeJS.ReadableStream): () => Promise<string> {
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let at = buffer.indexOf('\n');
    while (at >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      const resolve = waiting.shift();
      if (resolve) resolve(line);
      else lines.push(line);
      at = buffer.indexOf('\n');
    }
  });
  return () => {
    const line = lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
  };
}

async function adminQuery(text: string) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(text);
  await client.end();
}

if (process.argv[2] === 'writer') {
  const [databaseUrl, dataDir, count] = process.argv.slice(3);
  await writerProcess(databaseUrl ?? '', dataDir ?? '', Number(count));
} else {
  await main();
}
