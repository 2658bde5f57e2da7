import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman, auditEventsOf, createOtherTenant, request } from '../helpers/api.js';
import { DATABASES, startTestNode, type TestNode } from '../helpers/test-node.js';
import { browse, signIn } from './console-client.js';

const signInWith = (t: TestNode, code: string) =>
  t.node.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload: { code } });

describe.each(DATABASES)('console sign-in codes (%s)', (db) => {
  let t: TestNode;
  let now = Date.now();
  beforeAll(async () => {
    t = await startTestNode(db, { clock: () => now });
  });
  afterAll(() => t?.close());

  async function link(token: string, body?: object) {
    const res = await request(t.node, 'POST', '/v1/console/sign-in-links', token, body);
    if (res.statusCode !== 201) throw new Error(`link: ${res.statusCode} ${res.body}`);
    return res.json() as { url: string; code: string; expiresAt: string; humanId: string };
  }

  it('makes a one-time link for oneself: the code in the fragment, valid 10 minutes, stored hashed', async () => {
    const made = await link(t.adminToken);
    expect(made.code).toMatch(/^wdn_c_[A-Za-z0-9_-]{43}$/);
    expect(made.url).toMatch(/^http:\/\/127\.0\.0\.1:0\/sign-in#code=wdn_c_/);
    expect(made.url.endsWith(`#code=${made.code}`)).toBe(true);
    expect(Date.parse(made.expiresAt)).toBe(now + 600_000);
    const rows = await t.node.storage.db.selectFrom('console_sign_in_codes').select('hash').execute();
    expect(rows.map((r) => r.hash)).not.toContain(made.code);
    const events = await auditEventsOf(t.node, made.humanId);
    expect(events.map((e) => e.type)).toContain('console.link_create');
  });

  it('signs in with the code once; the second use is the same 401 as an unknown code', async () => {
    const made = await link(t.adminToken);
    const first = await signInWith(t, made.code);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ session: { method: 'code' }, human: { id: made.humanId } });
    const again = await signInWith(t, made.code);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('unauthenticated');
    const unknown = await signInWith(t, `wdn_c_${'A'.repeat(43)}`);
    expect(unknown.json().error.message).toBe(again.json().error.message);
    const events = await auditEventsOf(t.node, first.json().session.id);
    expect(events[0]?.payload).toMatchObject({ method: 'code', codeId: expect.stringMatching(/^sic_/) });
  });

  it('refuses a code past its 10 minutes', async () => {
    const made = await link(t.adminToken);
    now += 600_001;
    const res = await signInWith(t, made.code);
    expect(res.statusCode).toBe(401);
  });

  it('refuses a code whose human was disabled after the link was made', async () => {
    const person = await addHuman(t.node, ['viewer'], { now });
    const made = await link(t.adminToken, { humanId: person.id });
    expect(made.humanId).toBe(person.id);
    const disabled = await request(t.node, 'PATCH', `/v1/humans/${person.id}`, t.adminToken, {
      status: 'disabled',
    });
    expect(disabled.statusCode).toBe(200);
    expect((await signInWith(t, made.code)).statusCode).toBe(401);
  });

  it('lets one of many concurrent redemptions of a code win, exactly one', async () => {
    for (let round = 0; round < 5; round++) {
      const made = await link(t.adminToken);
      const answers = await Promise.all(Array.from({ length: 6 }, () => signInWith(t, made.code)));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401, 401, 401]);
    }
  });

  it('lets an admin make a link for another human; a non-admin only for themself', async () => {
    const viewer = await addHuman(t.node, ['viewer'], { now });
    const approver = await addHuman(t.node, ['approver'], { now });
    const forOther = await request(t.node, 'POST', '/v1/console/sign-in-links', viewer.token, {
      humanId: approver.id,
    });
    expect(forOther.statusCode).toBe(403);
    expect(forOther.json().error.code).toBe('forbidden');
    const own = await link(viewer.token);
    expect(own.humanId).toBe(viewer.id);
    const browser = await signIn(t.node, { code: (await link(t.adminToken, { humanId: approver.id })).code });
    const me = await browse(t.node, browser, 'GET', '/v1/me');
    expect(me.json().human.id).toBe(approver.id);
  });

  it("answers 400 for another tenant's human and 409 for a disabled one, creating nothing", async () => {
    const other = await createOtherTenant(t.node, 'codes-other');
    const disabled = await addHuman(t.node, ['viewer'], { status: 'disabled', now });
    const before = await t.node.storage.db.selectFrom('console_sign_in_codes').select('id').execute();
    const foreign = await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken, {
      humanId: other.adminId,
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error.details.field).toBe('body.humanId');
    const off = await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken, {
      humanId: disabled.id,
    });
    expect(off.statusCode).toBe(409);
    const bad = await request(t.node, 'POST', '/v1/console/sign-in-links', t.adminToken, { humanId: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('body.humanId');
    expect(await t.node.storage.db.selectFrom('console_sign_in_codes').select('id').execute()).toEqual(
      before,
    );
  });
});

describe('console sign-in codes on two nodes sharing one PostgreSQL', () => {
  let a: TestNode;
  let b: TestNode;
  beforeAll(async () => {
    a = await startTestNode('postgres');
    b = await startTestNode('postgres', { shared: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('lets exactly one of two redemptions racing on two nodes win', async () => {
    for (let round = 0; round < 10; round++) {
      const made = await request(a.node, 'POST', '/v1/console/sign-in-links', a.adminToken);
      const { code } = made.json();
      const answers = await Promise.all(
        [a, b].map((t) =>
          t.node.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload: { code } }),
        ),
      );
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    }
    const sessions = await a.node.storage.db
      .selectFrom('console_sessions')
      .select('id')
      .where('method', '=', 'code')
      .execute();
    expect(sessions).toHaveLength(10);
  });
});
