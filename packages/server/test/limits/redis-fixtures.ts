import { randomBytes } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.WARDEN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Keys of their own for one test file, so parallel runs never share counters. */
export function uniquePrefix(): string {
  return `warden:rl:test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  return deleted;
}

export async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  const keys = await redis.keys(`${prefix}*`);
  await redis.quit();
  return keys.sort();
}

export interface FakeServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function closer(server: Server, sockets: Set<Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** A port where nothing listens: connections are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts connections and never answers a byte. */
export async function blackHole(): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  const port = await listen(server);
  return { url: `redis://127.0.0.1:${port}`, port, close: closer(server, sockets) };
}

/**
 * Speaks just enough RESP to pass the client's handshake (CLIENT SETINFO, INFO), then never answers
 * again: a Redis that hangs mid-operation, so only the command timeout can end the wait.
 */
export async function stallingRedis(): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    let stalled = false;
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let command = takeCommand(); command; command = takeCommand()) {
        // Replies go in order: after the first unanswered command, nothing more is answered.
        const name = command[0]?.toUpperCase();
        if (stalled || (name !== 'CLIENT' && name !== 'INFO')) {
          stalled = true;
          continue;
        }
        const info = 'redis_version:7.0.0\r\nloading:0\r\n';
        socket.write(name === 'INFO' ? `$${info.length}\r\n${info}\r\n` : '+OK\r\n');
      }
    });
    /** One complete `*N` array of bulk strings off the buffer, or null when more bytes are needed. */
    function takeCommand(): string[] | null {
      const header = /^\*(\d+)\r\n/.exec(buffered);
      if (!header) return null;
      let offset = header[0].length;
      const parts: string[] = [];
      for (let i = 0; i < Number(header[1]); i++) {
        const length = /^\$(\d+)\r\n/.exec(buffered.slice(offset));
        if (!length) return null;
        const start = offset + length[0].length;
        const end = start + Number(length[1]);
        if (buffered.length < end + 2) return null;
        parts.push(buffered.slice(start, end));
        offset = end + 2;
      }
      buffered = buffered.slice(offset);
      return parts;
    }
  });
  const port = await listen(server);
  return { url: `redis://127.0.0.1:${port}`, port, close: closer(server, sockets) };
}

/** A TCP relay to the real Redis on `port`, to make Redis appear and disappear. */
export async function relayToRedis(port: number): Promise<FakeServer> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    client.on('error', drop);
    upstream.on('error', drop);
    upstream.connect(Number(target.port || 6379), target.hostname, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await listen(server, port);
  return { url: `redis://127.0.0.1:${port}`, port, close: closer(server, sockets) };
}
