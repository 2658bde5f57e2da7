import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHuman } from './helpers/api.js';
import { startTestNode, type TestNode } from './helpers/test-node.js';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/**
 * One request written byte for byte over a socket: fetch would re-encode the URL and refuse
 * oversized headers before they ever reached the server.
 */
function raw(url: string, head: string, body = ''): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const [top = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => {
          const at = line.indexOf(':');
          return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()];
        }),
      );
      try {
        resolve({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) });
      } catch {
        reject(new Error(`not a JSON answer: ${received.slice(0, 300)}`));
      }
    });
    socket.write(`${head}Connection: close\r\n\r\n${body}`);
  });
}

function expectEnvelope(res: RawResponse, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const error = (res.body as { error: Record<string, unknown> }).error;
  expect(error).toMatchObject({
    code,
    message: expect.any(String),
    requestId: expect.stringMatching(/^req_/),
  });
  expect(res.headers['x-request-id']).toBe(error.requestId);
  if (field) expect(error.details).toMatchObject({ field });
}

/** Errors raised before a route runs (the router, Node's HTTP parser) keep the one envelope. */
describe('framework-level errors over a real socket', () => {
  let t: TestNode;
  let url: string;

  beforeAll(async () => {
    t = await startTestNode('sqlite');
    url = await t.node.listen();
  });
  afterAll(() => t.close());

  it('answers an overlong path parameter 414 uri_too_long', async () => {
    const res = await raw(url, `GET /v1/agents/agt_${'a'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\n`);
    expectEnvelope(res, 414, 'uri_too_long');
  });

  it('answers bad percent-encoding 400 invalid_request naming the url', async () => {
    const res = await raw(url, 'GET /v1/agents/%E0%A4%A HTTP/1.1\r\nHost: x\r\n');
    expectEnvelope(res, 400, 'invalid_request', 'url');
  });

  it('answers oversized headers 431 headers_too_large', async () => {
    const res = await raw(url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n`);
    expectEnvelope(res, 431, 'headers_too_large');
  });

  it('answers a request that is not HTTP 400 invalid_request', async () => {
    const res = await raw(url, 'NOT HTTP AT ALL\r\n');
    expectEnvelope(res, 400, 'invalid_request');
  });

  it('routes an owner e-mail address as long as the kill route accepts', async () => {
    const security = await addHuman(t.node, ['security']);
    const email = `owner@${'d'.repeat(150)}.example.test`;
    const res = await raw(
      url,
      `POST /v1/kill/owners/${email} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${security.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 2\r\n',
      '{}',
    );
    expectEnvelope(res, 404, 'not_found');
  });
});
