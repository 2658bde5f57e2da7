import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, startTestNode, type TestNode } from './helpers/test-node.js';

describe.each(DATABASES)('health and the API document (%s)', (db) => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode(db);
  });
  afterAll(() => t.close());

  it('answers /healthz and /readyz without a credential', async () => {
    const health = await t.node.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', version: expect.any(String) });
    const ready = await t.node.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      ready: true,
      database: 'ok',
      policyVersion: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(ready.headers['x-request-id']).toMatch(/^req_/);
  });

  it('serves the OpenAPI document', async () => {
    const doc = await t.node.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'Warden' } });
  });

  it('answers unknown routes with the error envelope', async () => {
    const res = await t.node.app.inject({
      method: 'GET',
      url: '/v1/nothing-here',
      headers: { 'x-request-id': 'abc-1' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /v1/nothing-here', requestId: 'abc-1' },
    });
  });

  it('creates the default tenant and an admin token once', async () => {
    expect(t.adminToken).toMatch(/^wdn_u_[A-Za-z0-9_-]{43}$/);
    expect(t.node.bootstrap.tokenFile).toBeDefined();
  });
});
