import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman } from '../../server/test/helpers/api.js';
import { startTestNode, type TestNode } from '../../server/test/helpers/test-node.js';
import { run } from '../src/index.js';

describe('warden console link against a real server', () => {
  let t: TestNode;
  let url: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite');
    url = await t.node.listen();
  });
  afterAll(() => t?.close());

  async function cli(argv: string[], token = t.adminToken) {
    let out = '';
    let err = '';
    const code = await run(['console', ...argv, '--url', url, '--token', token], {
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

  /** Signs in with the code of a printed link, as the console's sign-in page does. */
  async function signInWithLink(link: string) {
    const code = new URL(link).hash.replace('#code=', '');
    const res = await fetch(`${url}/v1/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    return { status: res.status, body: (await res.json()) as { human?: { id: string } } };
  }

  it('prints a one-time link for the token holder that signs in once', async () => {
    const made = await cli(['link']);
    expect(made.code, made.err).toBe(0);
    const [link, note] = made.out.trimEnd().split('\n');
    expect(link).toMatch(new RegExp(`^${url}/sign-in#code=wdn_c_[A-Za-z0-9_-]{43}$`));
    expect(note).toMatch(/^one use, valid until \d{4}-\d\d-\d\dT.*, signs in usr_/);
    expect((await signInWithLink(link ?? '')).status).toBe(200);
    expect((await signInWithLink(link ?? '')).status).toBe(401);
  });

  it('makes a link for another human by e-mail or id (admin), refused to a non-admin', async () => {
    const person = await addHuman(t.node, ['approver']);
    for (const ref of [person.email.toUpperCase(), person.id]) {
      const made = await cli(['link', '--human', ref]);
      expect(made.code, made.err).toBe(0);
      const signedIn = await signInWithLink(made.out.split('\n')[0] ?? '');
      expect(signedIn.body.human?.id).toBe(person.id);
    }
    const refused = await cli(['link', '--human', t.node.bootstrap.created?.adminId ?? ''], person.token);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('forbidden');
    const unknown = await cli(['link', '--human', 'nobody@example.test']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no human with e-mail nobody@example.test');
  });

  it('checks --human before calling the server, and prints JSON with --json', async () => {
    const bad = await cli(['link', '--human', 'usr_nope']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--human: expected usr_');
    const json = await cli(['link', '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ url: expect.any(String), code: expect.any(String) });
  });
});
