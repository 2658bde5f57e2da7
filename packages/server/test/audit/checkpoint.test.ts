import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  verify,
} from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AnchorConflictError,
  anchorFilePath,
  type Checkpoint,
  type CheckpointAnchor,
  DirectoryAnchor,
  formatCheckpointBody,
  loadOrCreateSigningKey,
  MAX_NOTE_BYTES,
  MultiAnchor,
  openCheckpoint,
  parseCheckpointUnverified,
  parseVerifierKey,
  type SigningKey,
  signCheckpoint,
  verifierKeyFor,
  WebhookAnchor,
  writePublicKeyFile,
} from '../../src/audit/checkpoint/index.js';

const KEY_NAME = 'warden.example.com';
const ORIGIN = 'warden.example.com/ten_01ABC';
const EM_DASH = '\u2014';
const modesMatter = process.platform !== 'win32';

const temporaryDirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-checkpoint-'));
  temporaryDirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(temporaryDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    origin: ORIGIN,
    size: 42,
    root: createHash('sha256').update('root').digest(),
    time: 1_700_000_000_123,
    ...overrides,
  };
}

/** The raw public key taken from the SPKI encoding, independently of the code under test. */
function rawPublicKey(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
}

/** The signed-note key hash, computed straight from its definition. */
function expectedKeyHash(name: string, publicKey: KeyObject): Buffer {
  const material = Buffer.concat([Buffer.from(`${name}\n`), Buffer.of(0x01), rawPublicKey(publicKey)]);
  return createHash('sha256').update(material).digest().subarray(0, 4);
}

function replaceLine(note: string, index: number, line: string): string {
  const lines = note.split('\n');
  lines[index] = line;
  return lines.join('\n');
}

let key: SigningKey;
let otherKey: SigningKey;
let sameNameOtherKey: SigningKey;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'warden-checkpoint-keys-'));
  temporaryDirs.push(dir);
  key = await loadOrCreateSigningKey(join(dir, 'a.pem'), KEY_NAME);
  otherKey = await loadOrCreateSigningKey(join(dir, 'b.pem'), 'witness.example.org');
  sameNameOtherKey = await loadOrCreateSigningKey(join(dir, 'c.pem'), KEY_NAME);
});

describe('checkpoint notes', () => {
  it('signs a note in the exact C2SP format and opens it again', () => {
    const cp = checkpoint();
    const note = signCheckpoint(cp, key);
    const lines = note.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.slice(0, 5)).toEqual([ORIGIN, '42', cp.root.toString('base64'), 'time 1700000000123', '']);
    expect(lines[6]).toBe('');

    const match = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`).exec(lines[5] ?? '');
    expect(match?.[1]).toBe(KEY_NAME);
    const signatureBytes = Buffer.from(match?.[2] ?? '', 'base64');
    expect(signatureBytes).toHaveLength(68);
    expect(signatureBytes.subarray(0, 4)).toEqual(expectedKeyHash(KEY_NAME, key.publicKey));
    const body = Buffer.from(`${lines.slice(0, 4).join('\n')}\n`);
    expect(body.toString()).toBe(formatCheckpointBody(cp));
    expect(verify(null, body, key.publicKey, signatureBytes.subarray(4))).toBe(true);

    const opened = openCheckpoint(note, key.verifierKey);
    expect(opened).toEqual({ ok: true, checkpoint: cp });
    expect(openCheckpoint(Buffer.from(note), parseVerifierKey(key.verifierKey)).ok).toBe(true);
  });

  it('formats the verifier key from its definition', () => {
    const hash = expectedKeyHash(KEY_NAME, key.publicKey).toString('hex');
    const encoded = Buffer.concat([Buffer.of(0x01), rawPublicKey(key.publicKey)]).toString('base64');
    expect(key.verifierKey).toBe(`${KEY_NAME}+${hash}+${encoded}`);
    expect(verifierKeyFor(KEY_NAME, key.publicKey)).toBe(key.verifierKey);
    const parsed = parseVerifierKey(key.verifierKey);
    expect(parsed.name).toBe(KEY_NAME);
    expect(parsed.keyHash.toString('hex')).toBe(hash);
    expect(rawPublicKey(parsed.publicKey)).toEqual(rawPublicKey(key.publicKey));
  });

  it('rejects malformed verifier keys with a clear message', () => {
    const [name = '', hash = '', ...rest] = key.verifierKey.split('+');
    const encoded = rest.join('+');
    const cases = [
      '',
      'no-plus-signs',
      `${name}+${hash}`,
      `${name}+00000000+${encoded}`,
      `${name}+ABCDEF12+${encoded}`,
      `${name}+${hash}+not base64`,
      `${name}+${hash}+${encoded.slice(0, -1)}`,
      `${name}+${hash}+${Buffer.concat([Buffer.of(0x02), rawPublicKey(key.publicKey)]).toString('base64')}`,
      `other+${hash}+${encoded}`,
      `bad name+${hash}+${encoded}`,
    ];
    for (const text of cases) expect(() => parseVerifierKey(text), text).toThrow(/Invalid verifier key/);
  });

  it('reports tampering as a bad signature', () => {
    const note = signCheckpoint(checkpoint(), key);
    const otherRoot = createHash('sha256').update('other').digest().toString('base64');
    const tampered = [
      replaceLine(note, 0, 'warden.example.com/ten_01XYZ'),
      replaceLine(note, 1, '43'),
      replaceLine(note, 2, otherRoot),
      replaceLine(note, 3, 'time 1700000000124'),
    ];
    for (const text of tampered)
      expect(openCheckpoint(text, key.verifierKey)).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('reports a truncated signature as bad, and truncated text as malformed', () => {
    const note = signCheckpoint(checkpoint(), key);
    const lines = note.split('\n');
    const bytes = Buffer.from((lines[5] ?? '').split(' ')[2] ?? '', 'base64');
    const shortened = `${EM_DASH} ${KEY_NAME} ${bytes.subarray(0, 36).toString('base64')}`;
    expect(openCheckpoint(replaceLine(note, 5, shortened), key.verifierKey)).toMatchObject({
      ok: false,
      code: 'bad_signature',
    });
    expect(openCheckpoint(note.slice(0, -10), key.verifierKey)).toMatchObject({
      ok: false,
      code: 'malformed',
    });
  });

  it('reports signatures by other keys as an unknown key', () => {
    const cp = checkpoint();
    expect(openCheckpoint(signCheckpoint(cp, otherKey), key.verifierKey)).toMatchObject({
      ok: false,
      code: 'unknown_key',
    });
    // Same name, different key: the key hash tells them apart.
    expect(openCheckpoint(signCheckpoint(cp, sameNameOtherKey), key.verifierKey)).toMatchObject({
      ok: false,
      code: 'unknown_key',
    });
  });

  it('ignores signatures by keys it does not know, before or after the expected one', () => {
    const cp = checkpoint();
    const ours = signCheckpoint(cp, key);
    const theirs = signCheckpoint(cp, otherKey);
    const theirLine = theirs.slice(theirs.indexOf('\n\n') + 2);
    const ourLine = ours.slice(ours.indexOf('\n\n') + 2);
    const body = formatCheckpointBody(cp);
    expect(openCheckpoint(`${ours}${theirLine}`, key.verifierKey)).toEqual({ ok: true, checkpoint: cp });
    expect(openCheckpoint(`${body}\n${theirLine}${ourLine}`, key.verifierKey)).toEqual({
      ok: true,
      checkpoint: cp,
    });
    expect(openCheckpoint(`${ours}${theirLine}`, otherKey.verifierKey)).toEqual({ ok: true, checkpoint: cp });
  });

  it('rejects malformed notes without throwing', () => {
    const note = signCheckpoint(checkpoint(), key);
    const signatureLine = note.slice(note.indexOf('\n\n') + 2);
    const body = formatCheckpointBody(checkpoint());
    const malformed: Array<[string, string | Uint8Array]> = [
      ['empty', ''],
      ['garbage', 'garbage'],
      ['only a blank line', '\n\n'],
      ['missing blank line', note.replace('\n\n', '\n')],
      ['no signatures', `${body}\n`],
      ['random bytes', randomBytes(300)],
      ['invalid UTF-8', Buffer.concat([Buffer.from(note), Buffer.of(0xff, 0xfe)])],
      ['lone surrogate', replaceLine(note, 0, 'warden.example.com/\ud800')],
      ['control character', replaceLine(note, 0, 'warden.example.com/\u0007')],
      ['carriage return', note.replaceAll('\n', '\r\n')],
      ['leading zero size', replaceLine(note, 1, '042')],
      ['negative size', replaceLine(note, 1, '-1')],
      ['size beyond safe integers', replaceLine(note, 1, '99999999999999999')],
      ['hex size', replaceLine(note, 1, '0x2a')],
      ['short root', replaceLine(note, 2, randomBytes(31).toString('base64'))],
      ['unpadded root', replaceLine(note, 2, randomBytes(32).toString('base64').replace(/=+$/, ''))],
      ['url-safe root', replaceLine(note, 2, Buffer.alloc(32, 0xfb).toString('base64url'))],
      ['missing time', note.replace(/time \d+\n/, '')],
      ['leading zero time', replaceLine(note, 3, 'time 01')],
      ['extra extension', note.replace('\n\n', '\nextra line\n\n')],
      ['empty origin', replaceLine(note, 0, '')],
      ['origin with space', replaceLine(note, 0, 'warden example')],
      ['hyphen instead of em dash', note.replace(EM_DASH, '-')],
      ['signature without key name', replaceLine(note, 5, `${EM_DASH} ${signatureLine.split(' ')[2]}`)],
      ['signature with bad base64', replaceLine(note, 5, `${EM_DASH} ${KEY_NAME} !!!!`)],
      ['signature too short for a key hash', replaceLine(note, 5, `${EM_DASH} ${KEY_NAME} AAAA`)],
      ['no final newline', note.slice(0, -1)],
      ['too large', `${note}${'x'.repeat(MAX_NOTE_BYTES)}\n`],
      ['too large as bytes', Buffer.alloc(MAX_NOTE_BYTES + 1, 0x61)],
      ['too many signatures', `${note}${signatureLine.repeat(100)}`],
    ];
    for (const [label, text] of malformed) {
      expect(openCheckpoint(text, key.verifierKey), label).toMatchObject({ ok: false, code: 'malformed' });
      expect(parseCheckpointUnverified(text), label).toMatchObject({ ok: false, code: 'malformed' });
    }
  });

  it('never throws and never accepts a randomly mutated note', () => {
    const note = signCheckpoint(checkpoint(), key);
    const verifier = parseVerifierKey(key.verifierKey);
    const alphabet = 'az09+/=\n \u2014\u0000';
    let seed = 7;
    const next = (bound: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % bound;
    };
    for (let round = 0; round < 500; round++) {
      const at = next(note.length);
      const mutated = note.slice(0, at) + alphabet.charAt(next(alphabet.length)) + note.slice(at + 1);
      if (mutated === note) continue;
      expect(openCheckpoint(mutated, verifier).ok, JSON.stringify(mutated)).toBe(false);
    }
  });

  it('parses without a key for display, with the same result as verified opening', () => {
    const cp = checkpoint({ size: 0, time: 0 });
    expect(parseCheckpointUnverified(signCheckpoint(cp, otherKey))).toEqual({ ok: true, checkpoint: cp });
  });

  it('refuses to format values it could not parse back', () => {
    expect(() => formatCheckpointBody(checkpoint({ origin: 'a\nb' }))).toThrow(/origin/);
    expect(() => formatCheckpointBody(checkpoint({ size: -1 }))).toThrow(/size/);
    expect(() => formatCheckpointBody(checkpoint({ size: 1.5 }))).toThrow(/size/);
    expect(() => formatCheckpointBody(checkpoint({ root: Buffer.alloc(31) }))).toThrow(/32 bytes/);
    expect(() => formatCheckpointBody(checkpoint({ time: Number.NaN }))).toThrow(/time/);
  });
});

describe('signing key file', () => {
  it.skipIf(!modesMatter)('creates the key with mode 0600 in a 0700 directory and reloads it', async () => {
    const path = join(await freshDir(), 'secrets', 'checkpoint.pem');
    const created = await loadOrCreateSigningKey(path, KEY_NAME);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    const reloaded = await loadOrCreateSigningKey(path, KEY_NAME);
    expect(reloaded.verifierKey).toBe(created.verifierKey);
    const note = signCheckpoint(checkpoint(), reloaded);
    expect(openCheckpoint(note, created.verifierKey).ok).toBe(true);
  });

  it.skipIf(!modesMatter)('refuses a key file others can read, naming the fix', async () => {
    const path = join(await freshDir(), 'checkpoint.pem');
    await loadOrCreateSigningKey(path, KEY_NAME);
    await chmod(path, 0o644);
    await expect(loadOrCreateSigningKey(path, KEY_NAME)).rejects.toThrow(/checkpoint\.pem.*0644.*chmod 600/);
  });

  it('gives concurrent starters the same key and leaves no temporary files', async () => {
    const dir = await freshDir();
    const path = join(dir, 'checkpoint.pem');
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateSigningKey(path, KEY_NAME)));
    expect(new Set(keys.map((k) => k.verifierKey)).size).toBe(1);
    expect((await loadOrCreateSigningKey(path, KEY_NAME)).verifierKey).toBe(keys[0]?.verifierKey);
    expect(await readdir(dir)).toEqual(['checkpoint.pem']);
  });

  it('refuses files that do not hold an Ed25519 private key, and bad key names', async () => {
    const dir = await freshDir();
    const garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a key', { mode: 0o600 });
    await expect(loadOrCreateSigningKey(garbage, KEY_NAME)).rejects.toThrow(/not a PEM private key/);

    const ecPath = join(dir, 'ec.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(ecPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    await expect(loadOrCreateSigningKey(ecPath, KEY_NAME)).rejects.toThrow(/not Ed25519/);

    await expect(loadOrCreateSigningKey(join(dir, 'x.pem'), 'has space')).rejects.toThrow(/key name/);
    await expect(loadOrCreateSigningKey(join(dir, 'x.pem'), 'has+plus')).rejects.toThrow(/key name/);
  });

  it('writes the public verifier key file', async () => {
    const path = join(await freshDir(), 'public', 'checkpoint.vkey');
    await writePublicKeyFile(path, key.verifierKey);
    expect(await readFile(path, 'utf8')).toBe(`${key.verifierKey}\n`);
    await expect(writePublicKeyFile(path, 'nonsense')).rejects.toThrow(/Invalid verifier key/);
  });
});

describe('DirectoryAnchor', () => {
  const entryFor = (cp: Checkpoint, signer: SigningKey = key) => ({
    origin: cp.origin,
    size: cp.size,
    note: signCheckpoint(cp, signer),
  });

  it('writes each checkpoint once under a directory per origin', async () => {
    const dir = join(await freshDir(), 'anchors');
    const entry = entryFor(checkpoint());
    await new DirectoryAnchor(dir).publish(entry);

    const path = anchorFilePath(dir, ORIGIN, 42);
    expect(path.startsWith(join(dir, 'warden.example.com_ten_01ABC-'))).toBe(true);
    expect(path.endsWith(`${'0'.repeat(18)}42.checkpoint`)).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(entry.note);
    if (modesMatter) expect((await stat(path)).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('accepts the same checkpoint again, and the same tree signed at another time', async () => {
    const dir = await freshDir();
    const anchor = new DirectoryAnchor(dir);
    const first = entryFor(checkpoint());
    await anchor.publish(first);
    await anchor.publish(first);
    await anchor.publish(entryFor(checkpoint({ time: 1_800_000_000_000 }), sameNameOtherKey));
    expect(await DirectoryAnchor.readAll(dir, ORIGIN)).toEqual([{ size: 42, note: first.note, torn: false }]);
  });

  it('replaces a file an older version tore mid-write, but not a cut-short note of another tree', async () => {
    const first = entryFor(checkpoint());
    const path = () => anchorFilePath(dir, ORIGIN, 42);
    let dir = '';
    // Cut where the old in-place write could stop: nothing written, mid-line, at a line end, before the signature.
    for (const cut of [
      0,
      10,
      first.note.indexOf('\n') + 1,
      first.note.lastIndexOf('\n\n') + 2,
      first.note.length - 3,
    ]) {
      dir = await freshDir();
      await mkdir(dirname(path()), { recursive: true });
      await writeFile(path(), first.note.slice(0, cut));
      expect((await DirectoryAnchor.readAll(dir, ORIGIN))[0]?.torn, `cut at ${cut}`).toBe(true);
      await new DirectoryAnchor(dir).publish(first);
      expect(await readFile(path(), 'utf8')).toBe(first.note);
      expect(await readdir(dirname(path()))).toEqual([basename(path())]);
    }
    const fork = entryFor(checkpoint({ root: Buffer.alloc(32, 7) }));
    dir = await freshDir();
    await mkdir(dirname(path()), { recursive: true });
    await writeFile(path(), fork.note.slice(0, -3));
    await expect(new DirectoryAnchor(dir).publish(first)).rejects.toBeInstanceOf(AnchorConflictError);
  });

  it('throws AnchorConflictError for a different tree at an anchored size', async () => {
    const dir = await freshDir();
    const anchor = new DirectoryAnchor(dir);
    const first = entryFor(checkpoint());
    await anchor.publish(first);
    const fork = entryFor(checkpoint({ root: Buffer.alloc(32, 7) }));
    const error = await anchor.publish(fork).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AnchorConflictError);
    expect(error).toMatchObject({ origin: ORIGIN, size: 42, existingNote: first.note, newNote: fork.note });
    expect(await readFile(anchorFilePath(dir, ORIGIN, 42), 'utf8')).toBe(first.note);
  });

  it('treats an unreadable file at an anchored size as a conflict', async () => {
    const dir = await freshDir();
    const entry = entryFor(checkpoint());
    await new DirectoryAnchor(dir).publish(entryFor(checkpoint({ size: 1 })));
    await writeFile(anchorFilePath(dir, ORIGIN, 42), 'tampered');
    await expect(new DirectoryAnchor(dir).publish(entry)).rejects.toBeInstanceOf(AnchorConflictError);
  });

  it('refuses entries whose note does not match them', async () => {
    const anchor = new DirectoryAnchor(await freshDir());
    const entry = entryFor(checkpoint());
    await expect(anchor.publish({ ...entry, size: 43 })).rejects.toThrow(
      /not warden.example.com\/ten_01ABC at 43/,
    );
    await expect(anchor.publish({ ...entry, note: 'garbage' })).rejects.toThrow(/malformed/);
  });

  it('reads all and latest checkpoints of one origin, sorted by size', async () => {
    const dir = await freshDir();
    expect(await DirectoryAnchor.readAll(dir, ORIGIN)).toEqual([]);
    expect(await DirectoryAnchor.readLatest(dir, ORIGIN)).toBeUndefined();
    expect(await DirectoryAnchor.readLatest(join(dir, 'missing'), ORIGIN)).toBeUndefined();

    const anchor = new DirectoryAnchor(dir);
    const entries = [10, 2, 100, 9].map((size) => entryFor(checkpoint({ size })));
    for (const entry of entries) await anchor.publish(entry);
    await anchor.publish(entryFor(checkpoint({ origin: 'warden.example.com/ten_OTHER', size: 500 })));

    const all = await DirectoryAnchor.readAll(dir, ORIGIN);
    expect(all.map((item) => item.size)).toEqual([2, 9, 10, 100]);
    expect(all.map((item) => item.note)).toEqual(
      [2, 9, 10, 100].map((size) => entries.find((e) => e.size === size)?.note),
    );
    expect(await DirectoryAnchor.readLatest(dir, ORIGIN)).toEqual({ size: 100, note: entries[2]?.note });
  });

  it('keeps origins apart even when their safe names look alike', async () => {
    const dir = await freshDir();
    const anchor = new DirectoryAnchor(dir);
    await anchor.publish(entryFor(checkpoint({ origin: 'example.com/a_b' })));
    await anchor.publish(entryFor(checkpoint({ origin: 'example.com/a/b' })));
    expect(anchorFilePath(dir, 'example.com/a_b', 1)).not.toBe(anchorFilePath(dir, 'example.com/a/b', 1));
    expect(await DirectoryAnchor.readAll(dir, 'example.com/a_b')).toHaveLength(1);
    expect(await DirectoryAnchor.readAll(dir, 'example.com/a/b')).toHaveLength(1);
  });
});

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A local webhook receiver answering with `status`, or never answering when `status` is undefined. */
async function startReceiver(
  status: number | undefined,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (status !== undefined) response.writeHead(status).end('answer body');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/checkpoints?token=abc`, received, server };
}

async function stopReceiver(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('WebhookAnchor', () => {
  const secret = 'checkpoint-webhook-secret';
  const entry = { origin: ORIGIN, size: 42, note: '' };
  beforeAll(() => {
    entry.note = signCheckpoint(checkpoint(), key);
  });

  it('posts the checkpoint as JSON with a signature the receiver can check', async () => {
    const { url, received, server } = await startReceiver(204);
    try {
      await new WebhookAnchor(url, secret).publish(entry);
    } finally {
      await stopReceiver(server);
    }
    expect(received).toHaveLength(1);
    const [{ headers, body } = { headers: {}, body: '' }] = received;
    expect(JSON.parse(body)).toEqual(entry);
    expect(headers['content-type']).toBe('application/json');
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['warden-signature']));
    const timestamp = Number(match?.[1]);
    expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(60);
    expect(match?.[2]).toBe(createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'));
  });

  it('rejects when the receiver answers with an error, without leaking the query', async () => {
    const { url, server } = await startReceiver(500);
    try {
      const publishing = new WebhookAnchor(url, secret).publish(entry);
      await expect(publishing).rejects.toThrow(/answered HTTP 500/);
      await expect(publishing).rejects.not.toThrow(/token=abc/);
    } finally {
      await stopReceiver(server);
    }
  });

  it('rejects when the receiver is unreachable or too slow', async () => {
    const { url, server } = await startReceiver(undefined);
    try {
      await expect(new WebhookAnchor(url, secret, { timeoutMs: 100 }).publish(entry)).rejects.toThrow(
        /could not be reached/,
      );
    } finally {
      await stopReceiver(server);
    }
    await expect(new WebhookAnchor(url, secret).publish(entry)).rejects.toThrow(/could not be reached/);
  });

  it('refuses URLs that are not http(s)', () => {
    expect(() => new WebhookAnchor('file:///etc/passwd', secret)).toThrow(/http\(s\)/);
  });
});

describe('MultiAnchor', () => {
  it('tries every anchor and aggregates the failures', async () => {
    const delivered: string[] = [];
    const working = (label: string): CheckpointAnchor => ({
      publish: async (entry) => void delivered.push(`${label}:${entry.size}`),
    });
    const failing: CheckpointAnchor = {
      publish: async () => {
        throw new Error('storage offline');
      },
    };
    const entry = { origin: ORIGIN, size: 7, note: 'n' };

    await new MultiAnchor([working('a'), working('b')]).publish(entry);
    expect(delivered).toEqual(['a:7', 'b:7']);

    const error = await new MultiAnchor([failing, working('c')]).publish(entry).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['storage offline']);
    expect((error as AggregateError).message).toMatch(/1 of 2 checkpoint anchors failed/);
    expect(delivered).toContain('c:7');
  });
});
