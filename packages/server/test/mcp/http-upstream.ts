import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { POLICY_AUTHOR } from '../approvals/approvals-fixtures.js';

/** Agents of role mcp-user may look words up on the upstream named `remote`. */
export const REMOTE_POLICY = `apiVersion: warden/v1
kind: Policy
metadata:
  name: remote
  owner: ${POLICY_AUTHOR}
spec:
  agents:
    roles: [mcp-user]
  rules:
    - id: remote-lookup
      effect: allow
      tools: [remote.lookup]
      reason: Lookups are fine
`;

/** A Streamable HTTP MCP server with one tool, `lookup`, that answers only the bearer token it holds. */
export interface HttpUpstream {
  readonly url: string;
  /** The Authorization header of every request that reached it. */
  readonly seenAuth: (string | undefined)[];
  /** The `_meta` of every tools/call it answered (trace context travels there). */
  readonly seenMeta: unknown[];
  /** The `traceparent` header of every request that reached it. */
  readonly seenTraceparent: (string | undefined)[];
  /** Changes the token it accepts (a rotated credential). */
  accept(authorization: string): void;
  close(): Promise<void>;
}

export async function startHttpUpstream(authorization: string): Promise<HttpUpstream> {
  let accepted = authorization;
  const seenAuth: (string | undefined)[] = [];
  const seenMeta: unknown[] = [];
  const seenTraceparent: (string | undefined)[] = [];
  const handler = createMcpHandler(() => {
    const server = new Server({ name: 'remote', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', async () => ({
      tools: [{ name: 'lookup', description: 'Look a word up', inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler('tools/call', async (request) => {
      seenMeta.push(request.params._meta);
      return {
        content: [{ type: 'text', text: `looked up ${JSON.stringify(request.params.arguments ?? {})}` }],
      };
    });
    return server;
  });
  const node = toNodeHandler(handler);
  const http = createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    seenTraceparent.push(req.headers.traceparent as string | undefined);
    if (req.headers.authorization !== accepted) {
      res.writeHead(401).end();
      return;
    }
    void node(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seenAuth,
    seenMeta,
    seenTraceparent,
    accept(next) {
      accepted = next;
    },
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}
