import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder to a local port that can stop answering and come back on the same port: what a
 * client sees when the network to its server drops and returns, without stopping the server.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(private readonly targetPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (on the port it had before, after a stop). */
  async start(): Promise<void> {
    const server = createServer((inbound) => {
      const outbound = connect(this.targetPort, '127.0.0.1');
      for (const socket of [inbound, outbound]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((listening) => server.listen(this.port, '127.0.0.1', listening));
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** Cuts every connection and stops listening: connecting is refused until `start`. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((closed) => (server ? server.close(() => closed()) : closed()));
  }
}
