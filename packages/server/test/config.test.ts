import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.js';

describe('configuration', () => {
  it('has defaults that start a local node, and is frozen', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 7420,
      sqliteSynchronous: 'full',
      defaultTenant: 'default',
    });
    expect(config.dataDir).toMatch(/\.warden$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment, converting numbers', () => {
    const config = loadConfig({
      env: { WARDEN_PORT: '8080', WARDEN_DATABASE_URL: 'postgres://db/warden', WARDEN_LOG_LEVEL: 'warn' },
    });
    expect(config).toMatchObject({ port: 8080, databaseUrl: 'postgres://db/warden', logLevel: 'warn' });
  });

  it('logs readable lines unless WARDEN_LOG_FORMAT=json asks for JSON', () => {
    expect(loadConfig({ env: {} }).logFormat).toBe('pretty');
    expect(loadConfig({ env: { WARDEN_LOG_FORMAT: 'json' } }).logFormat).toBe('json');
    expect(loadConfig({ env: { WARDEN_LOG_FORMAT: 'pretty' } }).logFormat).toBe('pretty');
  });

  it('keeps the audit key files and anchor in the data directory unless told otherwise', () => {
    const config = loadConfig({ env: { WARDEN_DATA_DIR: '/srv/warden' } });
    expect(config).toMatchObject({
      auditLogName: 'warden',
      auditSigningKeyFile: '/srv/warden/audit-signing.key',
      auditKeyEncryptionKeyFile: '/srv/warden/audit-kek.key',
      auditAnchorDir: '/srv/warden/audit-anchor',
      auditCheckpointEvery: 1000,
      auditCheckpointIntervalMs: 1000,
      auditRedactPaths: [],
    });
    const moved = loadConfig({
      env: {
        WARDEN_AUDIT_ANCHOR_DIR: '/mnt/worm/warden',
        WARDEN_AUDIT_REDACT_PATHS: '$.args.notes, $..password',
        WARDEN_AUDIT_SUBJECT_PATHS: '$.args.customer_id',
      },
    });
    expect(moved.auditAnchorDir).toBe('/mnt/worm/warden');
    expect(moved.auditRedactPaths).toEqual(['$.args.notes', '$..password']);
    expect(moved.auditSubjectPaths).toEqual(['$.args.customer_id']);
  });

  it('refuses an audit anchor webhook without its secret, and a log name a checkpoint cannot carry', () => {
    expect(() =>
      loadConfig({ env: { WARDEN_AUDIT_ANCHOR_WEBHOOK_URL: 'https://anchor.example/in' } }),
    ).toThrow(/WARDEN_AUDIT_ANCHOR_WEBHOOK_SECRET: required/);
    expect(() => loadConfig({ env: { WARDEN_AUDIT_LOG_NAME: 'my log+1' } })).toThrow(/WARDEN_AUDIT_LOG_NAME/);
  });

  it('stops on a bad setting with a message naming it', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ WARDEN_PORT: 'eighty' }, /WARDEN_PORT: must be an integer from 0 to 65535, got "eighty"/],
      [{ WARDEN_PORT: '70000' }, /WARDEN_PORT/],
      [{ WARDEN_DATABASE_URL: 'mysql://x' }, /WARDEN_DATABASE_URL: must match/],
      [{ WARDEN_LOG_LEVEL: 'loud' }, /WARDEN_LOG_LEVEL: must be one of/],
      [{ WARDEN_LOG_FORMAT: 'xml' }, /WARDEN_LOG_FORMAT: must be one of "pretty", "json", got "xml"/],
      [{ WARDEN_SQLITE_SYNCHRONOUS: 'off' }, /WARDEN_SQLITE_SYNCHRONOUS/],
      [{ WARDEN_WEBHOOK_URL: 'https://hooks.example/warden' }, /WARDEN_WEBHOOK_SECRET: required/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig({ env }), JSON.stringify(env)).toThrow(message);
      expect(() => loadConfig({ env })).toThrow(ConfigError);
    }
  });

  it('reads a YAML file, which the environment overrides, and rejects unknown keys in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
    const file = join(dir, 'warden.yaml');
    writeFileSync(file, 'port: 9000\nhost: 0.0.0.0\n');
    expect(loadConfig({ env: { WARDEN_CONFIG: file } })).toMatchObject({ port: 9000, host: '0.0.0.0' });
    expect(loadConfig({ env: { WARDEN_CONFIG: file, WARDEN_PORT: '9001' } }).port).toBe(9001);
    writeFileSync(file, 'prot: 9000\n');
    expect(() => loadConfig({ env: { WARDEN_CONFIG: file } })).toThrow(/prot \(in .*\): unknown setting/);
    writeFileSync(file, 'port: "x"\n');
    expect(() => loadConfig({ env: { WARDEN_CONFIG: file } })).toThrow(/port \(in .*\): must be an integer/);
    expect(() => loadConfig({ env: { WARDEN_CONFIG: join(dir, 'missing.yaml') } })).toThrow(
      /WARDEN_CONFIG: cannot read/,
    );
  });
});
