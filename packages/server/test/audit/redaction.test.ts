import type { JsonValue } from '@warden/policy';
import type { CountryCode } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import {
  compileJsonPath,
  type DetectorName,
  MAX_DEPTH,
  mapAtPaths,
  Redactor,
} from '../../src/audit/redaction/index.js';

const redactor = new Redactor();

/** The text after redaction with every detector on. */
function redacted(text: string): string {
  return redactor.redact(text).value as string;
}

/** Each text is redacted whole, to exactly one marker of the detector. */
function expectWhollyRedacted(detector: DetectorName, texts: readonly string[]): void {
  for (const text of texts) {
    expect(redactor.redact(text), text).toEqual({
      value: `[REDACTED:${detector}]`,
      counts: { [detector]: 1 },
    });
  }
}

/** Each text comes out unchanged, with no counts. */
function expectKept(texts: readonly string[]): void {
  for (const text of texts) {
    expect(redactor.redact(text), text).toEqual({ value: text, counts: {} });
  }
}

/** An IBAN with correct check digits for any country code and BBAN, valid length or not. */
function withCheckDigits(country: string, bban: string): string {
  const digits = `${bban}${country}00`.replace(/[A-Z]/g, (letter) => String(letter.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

describe('email detector', () => {
  it('redacts addresses in text', () => {
    expect(redacted('Contact jane.doe+billing@example.co.uk or BOB_99@mail.example.com.')).toBe(
      'Contact [REDACTED:email] or [REDACTED:email].',
    );
    expectWhollyRedacted('email', ['a@b.cd', 'first.last@sub-domain.example.org', 'x%y@example.io']);
  });

  it('keeps package specifiers, local hosts, Git remotes and bare @', () => {
    expectKept([
      'npm i @scope/pkg@1.2.3',
      'ssh user@localhost',
      'git clone git@github.com:org/repo',
      'a @ b.com',
    ]);
  });
});

describe('card detector', () => {
  it('redacts Luhn-valid card numbers, contiguous or grouped', () => {
    expectWhollyRedacted('card', [
      '4111111111111111',
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '5555 5555 5555 4444',
      '3782 822463 10005',
      '6011111111111117',
      '3056 9309 0259 04',
      '2223003122003222',
      '4222222222222',
      '6304 0000 0000 0000 018',
    ]);
    expect(redacted('card 4111 1111 1111 1111 exp 12/27, qty 2 5555555555554444')).toBe(
      'card [REDACTED:card] exp 12/27, qty 2 [REDACTED:card]',
    );
  });

  it('keeps numbers that fail Luhn, have no card prefix, or are glued to other text', () => {
    expectKept([
      'order 1234567890123456',
      '4111 1111 1111 1112',
      'Luhn-valid but no issuer: 1000000000000008 9000000000000008',
      'years 2019 2020 2021 2022',
      'id x4111111111111111',
      '41111111111111111111',
      '4111  1111  1111  1111',
    ]);
  });
});

describe('ssn detector', () => {
  it('redacts formatted numbers, and nine digits next to a context word', () => {
    expectWhollyRedacted('ssn', ['123-45-6789', '078 05 1120']);
    expect(redacted('SSN: 123456789')).toBe('SSN: [REDACTED:ssn]');
    expect(redacted('user_ssn=219099999')).toBe('user_ssn=[REDACTED:ssn]');
    expect(redacted('social security number 078051120 on file')).toBe(
      'social security number [REDACTED:ssn] on file',
    );
    expect(redacted('123456789 (SSN)')).toBe('[REDACTED:ssn] (SSN)');
  });

  it('keeps numbers the SSA cannot issue and bare nine digits without context', () => {
    expectKept([
      '000-12-3456',
      '666-12-3456',
      '900-12-3456',
      '999-12-3456',
      '123-00-4567',
      '123-45-0000',
      'ssn 666123456',
      'invoice 123456789',
      'lessn 123456789',
      '123-45 6789',
      '2026-123-45-6789',
    ]);
  });
});

describe('phone detector', () => {
  it('redacts international numbers and national numbers of the default country', () => {
    expectWhollyRedacted('phone', [
      '(415) 555-2671',
      '415-555-2671',
      '415.555.2671',
      '4155552671',
      '+1 415-555-2671',
      '+44 20 7946 0958',
      '+33 1 42 68 53 00',
      '+91 98765 43210',
      '+12125550100',
    ]);
    expect(redacted('call +1 212 555 0100 at 12:30 or +49 30 901820')).toBe(
      'call [REDACTED:phone] at 12:30 or [REDACTED:phone]',
    );
    expect(redacted('2026-11-21 415 555 2671')).toBe('2026-11-21 [REDACTED:phone]');
  });

  it('uses the configured default country for national numbers', () => {
    expect(redacted('call 020 7946 0958')).toBe('call 020 7946 0958');
    const british = new Redactor({ defaultPhoneCountry: 'GB' });
    expect(british.redact('call 020 7946 0958').value).toBe('call [REDACTED:phone]');
    expect(british.redact('call 415-555-2671').value).toBe('call 415-555-2671');
  });

  it('keeps dates, timestamps, versions, addresses, ids and small numbers', () => {
    expectKept([
      '2026-11-21',
      '21.11.2026',
      '11/21/2026',
      '2026-11-21T10:15:30.123Z',
      'born 1990-05-17, joined 2026-11-21 09:30',
      'v1.13.16',
      '10.2.3.4',
      '192.168.100.200',
      'count 42',
      'pid 12345678',
      'epoch 1732181130 ms 1732181130000',
      'id 123e4567-e89b-12d3-a456-426614174000',
      'price 1,234,567.89',
      'range 100000-200000',
    ]);
  });

  it('stops validating after 100 candidates in one string and redacts the rest unvalidated', () => {
    expectKept(['(555) 123-4567']);
    const many = `${Array(100).fill('(415) 555-2671').join(', ')}, (555) 123-4567`;
    expect(redactor.redact(many)).toEqual({
      value: Array(101).fill('[REDACTED:phone]').join(', '),
      counts: { phone: 101 },
    });
  });

  it('does not take card numbers for phone numbers', () => {
    expect(redactor.redact('4111 1111 1111 1111').counts).toEqual({ card: 1 });
    expect(redactor.redact('4111 1111 1111 1112').counts).toEqual({});
  });
});

describe('iban detector', () => {
  it('redacts valid IBANs, compact or in groups of four, in either case', () => {
    expectWhollyRedacted('iban', [
      'DE89 3704 0044 0532 0130 00',
      'DE89370400440532013000',
      'GB82WEST12345698765432',
      'gb82 west 1234 5698 7654 32',
      'FR14 2004 1010 0505 0001 3M02 606',
      'NL91ABNA0417164300',
      'NO9386011117947',
      withCheckDigits('CH', '00762011623852957'),
    ]);
    expect(redacted('pay DE89370400440532013000 and FR1420041010050500013M02606 today')).toBe(
      'pay [REDACTED:iban] and [REDACTED:iban] today',
    );
    expect(redacted('IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX')).toBe(
      'IBAN [REDACTED:iban] BIC COBADEFFXXX',
    );
  });

  it('keeps wrong check digits, wrong lengths, unknown countries and odd grouping', () => {
    expectKept([
      'DE89 3704 0044 0532 0130 01',
      'DE88370400440532013000',
      withCheckDigits('DE', '370400440532013'),
      withCheckDigits('DE', '37040044053201300012'),
      withCheckDigits('ZZ', '370400440532013000'),
      'DE89 37040 0440 5320 1300 0',
    ]);
  });
});

describe('secret detector', () => {
  const token = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

  it('redacts API keys and tokens in the common formats', () => {
    expectWhollyRedacted('secret', [
      'AKIAIOSFODNN7EXAMPLE',
      'ASIAY34FZKBOKMUTVV7A',
      `ghp_${token}`,
      `gho_${token}`,
      `ghs_${token}`,
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV',
      'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
      'xoxp-1234567890-abcdefghij',
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'rk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
      `sk-${token}`,
      `sk-proj-${token}`,
      `sk-ant-api03-${token}-AA`,
      'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.',
      `wdn_a_${'Zx9_-'.repeat(8)}abc`,
      `wdn_u_${token}`,
    ]);
  });

  it('redacts a whole PEM private key block, or the rest of the text when it is cut off', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1x\n-----END RSA PRIVATE KEY-----';
    expect(redacted(`key:\n${pem}\nthanks`)).toBe('key:\n[REDACTED:secret]\nthanks');
    expect(redacted('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA')).toBe(
      '[REDACTED:secret]',
    );
    expect(
      redacted('-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZI\n-----END PUBLIC KEY-----'),
    ).toContain('BEGIN PUBLIC KEY');
  });

  it('redacts only the token after Bearer', () => {
    expect(redacted('Authorization: Bearer abc123def456ghi789')).toBe(
      'Authorization: Bearer [REDACTED:secret]',
    );
    expect(redacted('curl -H "authorization: bearer Zm9vYmFyYmF6cXV4"')).toBe(
      'curl -H "authorization: bearer [REDACTED:secret]"',
    );
  });

  it('keeps prose and look-alikes', () => {
    expectKept([
      'use sk-learn-compatible-interfaces-everywhere',
      'task-based sk-learn pipelines',
      'uses Bearer Authentication for the API',
      'the bearer of bad news',
      'AKIA is the prefix of AWS keys',
      'ghp_short',
      'pk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'key hint wdn_a_abcd',
      'eyJhbGciOi alone',
    ]);
  });

  it('merges overlapping matches into one redaction', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    expect(redactor.redact(`Bearer ${jwt}`)).toEqual({
      value: 'Bearer [REDACTED:secret]',
      counts: { secret: 1 },
    });
    expect(redactor.redact('mail 4155552671@example.com')).toEqual({
      value: 'mail [REDACTED:email]',
      counts: { email: 1 },
    });
  });
});

describe('Redactor', () => {
  it('counts each redaction under its detector, listing only those that fired', () => {
    const result = redactor.redact({
      note: 'jane@example.com paid with 4111 1111 1111 1111, cc bob@example.com',
      phones: ['(415) 555-2671', '+44 20 7946 0958'],
      plain: 'nothing to see',
    });
    expect(result.value).toEqual({
      note: '[REDACTED:email] paid with [REDACTED:card], cc [REDACTED:email]',
      phones: ['[REDACTED:phone]', '[REDACTED:phone]'],
      plain: 'nothing to see',
    });
    expect(result.counts).toEqual({ email: 2, card: 1, phone: 2 });
  });

  it('replaces the whole value of keys that name secrets', () => {
    const result = redactor.redact({
      password: 'hunter2',
      Passwd: 'x',
      API_KEY: 'abc',
      'api-key': 'abc',
      apiKey: 'abc',
      'X-Api-Key': 'abc',
      access_token: 'abc',
      refreshToken: 'abc',
      Authorization: 'Basic dXNlcjpwYXNz',
      private_key: { kty: 'EC', d: 'secret part' },
      'client-secret': 42,
      db_password: 'pw',
      max_tokens: 1000,
      token_count: 12,
      secretary: 'Ann',
      password_hint: 'pet name',
      secret: false,
      token: null,
    });
    expect(result.value).toEqual({
      password: '[REDACTED:secret]',
      Passwd: '[REDACTED:secret]',
      API_KEY: '[REDACTED:secret]',
      'api-key': '[REDACTED:secret]',
      apiKey: '[REDACTED:secret]',
      'X-Api-Key': '[REDACTED:secret]',
      access_token: '[REDACTED:secret]',
      refreshToken: '[REDACTED:secret]',
      Authorization: '[REDACTED:secret]',
      private_key: '[REDACTED:secret]',
      'client-secret': '[REDACTED:secret]',
      db_password: '[REDACTED:secret]',
      max_tokens: 1000,
      token_count: 12,
      secretary: 'Ann',
      password_hint: 'pet name',
      secret: false,
      token: null,
    });
    expect(result.counts).toEqual({ secret: 12 });
  });

  it('replaces values at configured paths, in each syntax form', () => {
    const paths = new Redactor({
      paths: ['$.user.name', '$.items[*].note', '$..ssn_copy', "$['x-trace']", '$.list[1]', '$.meta.*'],
    });
    const input: JsonValue = {
      user: { name: 'Jane Doe', role: 'admin' },
      items: [{ note: 'private', sku: 'A1' }, { note: { nested: true } }],
      deep: { a: [{ ssn_copy: 'x' }], ssn_copy: 'y' },
      'x-trace': 'trace-id',
      list: ['zero', 'one', 'two'],
      meta: { a: 1, b: [2] },
      other: 'kept',
    };
    const result = paths.redact(input);
    expect(result.value).toEqual({
      user: { name: '[REDACTED:path]', role: 'admin' },
      items: [{ note: '[REDACTED:path]', sku: 'A1' }, { note: '[REDACTED:path]' }],
      deep: { a: [{ ssn_copy: '[REDACTED:path]' }], ssn_copy: '[REDACTED:path]' },
      'x-trace': '[REDACTED:path]',
      list: ['zero', '[REDACTED:path]', 'two'],
      meta: { a: '[REDACTED:path]', b: '[REDACTED:path]' },
      other: 'kept',
    });
    expect(result.counts).toEqual({ path: 9 });
  });

  it('rejects invalid paths at construction, naming the path', () => {
    for (const path of [
      'user.name',
      '$',
      '$.',
      '$..',
      '$[',
      "$['x-y'",
      "$['x-y]",
      '$[01]',
      '$.a b',
      '$[x]',
    ]) {
      expect(() => new Redactor({ paths: [path] }), path).toThrow(JSON.stringify(path));
    }
    expect(compileJsonPath('$["say \\"hi\\""]')).toEqual([{ kind: 'child', key: 'say "hi"' }]);
  });

  it('rejects unknown detectors and unsupported phone countries', () => {
    const detector: string = 'dna';
    const country: string = 'XX';
    expect(() => new Redactor({ detectors: ['email', detector as DetectorName] })).toThrow(/"dna"/);
    expect(() => new Redactor({ defaultPhoneCountry: country as CountryCode })).toThrow(/"XX"/);
  });

  it('runs only the configured detectors; key names go with secret', () => {
    const emailOnly = new Redactor({ detectors: ['email'] });
    expect(
      emailOnly.redact({ a: 'jane@example.com 4111111111111111', password: 'x', n: 4111111111111111 }),
    ).toEqual({
      value: { a: '[REDACTED:email] 4111111111111111', password: 'x', n: 4111111111111111 },
      counts: { email: 1 },
    });
    expect(new Redactor({ detectors: [] }).redact('jane@example.com')).toEqual({
      value: 'jane@example.com',
      counts: {},
    });
  });

  it('never modifies its input', () => {
    const input: JsonValue = {
      user: { email: 'jane@example.com', password: 'hunter2' },
      cards: ['4111 1111 1111 1111', 5555555555554444],
      nested: [[{ note: 'call (415) 555-2671' }]],
    };
    const before = structuredClone(input);
    const result = new Redactor({ paths: ['$.user.email'] }).redact(input);
    expect(input).toEqual(before);
    expect(result.value).not.toBe(input);
  });

  it('returns new containers even when nothing is redacted', () => {
    const input = { a: ['x'], b: { c: 1 } };
    const output = redactor.redact(input).value as { a: string[]; b: { c: number } };
    expect(output).toEqual(input);
    expect(output).not.toBe(input);
    expect(output.a).not.toBe(input.a);
    expect(output.b).not.toBe(input.b);
  });

  it('walks nested arrays', () => {
    const result = redactor.redact([[['jane@example.com', ['AKIAIOSFODNN7EXAMPLE']]], [], 'ok']);
    expect(result).toEqual({
      value: [[['[REDACTED:email]', ['[REDACTED:secret]']]], [], 'ok'],
      counts: { email: 1, secret: 1 },
    });
  });

  it('redacts numbers whose digits form a card number', () => {
    const result = redactor.redact({
      card: 4111111111111111,
      order: 1234567890123456,
      qty: 3,
      price: 12.5,
      n: -1,
    });
    expect(result).toEqual({
      value: { card: '[REDACTED:card]', order: 1234567890123456, qty: 3, price: 12.5, n: -1 },
      counts: { card: 1 },
    });
  });

  it('replaces values nested deeper than the cap', () => {
    const nest = (levels: number): JsonValue => {
      let value: JsonValue = 'jane@example.com';
      for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
      return value;
    };
    const innermost = (value: JsonValue): JsonValue => {
      let current = value;
      for (;;) {
        if (Array.isArray(current)) current = current[0] ?? null;
        else if (current !== null && typeof current === 'object') current = current.k ?? null;
        else return current;
      }
    };
    expect(innermost(redactor.redact(nest(MAX_DEPTH)).value)).toBe('[REDACTED:email]');
    const tooDeep = redactor.redact(nest(MAX_DEPTH + 1));
    expect(innermost(tooDeep.value)).toBe('[REDACTED:depth]');
    expect(tooDeep.counts).toEqual({ depth: 1 });
    expect(redactor.redact(nest(10_000)).counts).toEqual({ depth: 1 });
  });

  it('replaces strings above the size cap', () => {
    const small = new Redactor({ maxStringLength: 32 });
    expect(small.redact({ a: 'x'.repeat(33), b: 'x'.repeat(32) })).toEqual({
      value: { a: '[REDACTED:size]', b: 'x'.repeat(32) },
      counts: { size: 1 },
    });
  });

  it('keeps a "__proto__" key as data, not as a prototype', () => {
    const input = JSON.parse('{"__proto__": {"email": "jane@example.com"}}') as JsonValue;
    const output = redactor.redact(input).value as Record<string, JsonValue>;
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.hasOwn(output, '__proto__')).toBe(true);
    expect(JSON.stringify(output)).toBe('{"__proto__":{"email":"[REDACTED:email]"}}');
  });
});

describe('mapAtPaths', () => {
  it('replaces selected values in a copy and leaves the input alone', () => {
    const input = { a: [{ id: 'u1' }, { id: 'u2' }], b: { id: 'u3' } };
    const output = mapAtPaths(input, [compileJsonPath('$.a[*].id')], (found) => `<${String(found)}>`);
    expect(output).toEqual({ a: [{ id: '<u1>' }, { id: '<u2>' }], b: { id: 'u3' } });
    expect(input.a[0]).toEqual({ id: 'u1' });
  });
});
