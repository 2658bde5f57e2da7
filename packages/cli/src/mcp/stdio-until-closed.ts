import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';

/**
 * The process's stdin and stdout as an MCP transport that says when it has closed: the desktop client
 * ended stdin (how MCP's stdio binding says "quit"), stdout broke, or the bridge closed it. The
 * command waits on `closed`, then lets go of the gateway so the process can exit.
 */
export class StdioUntilClosed extends StdioServerTransport {
  private settle: () => void = () => {};
  readonly closed = new Promise<void>((resolve) => {
    this.settle = resolve;
  });

  override async close(): Promise<void> {
    await super.close();
    this.settle();
  }
}
