import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A "database" that accepts TCP connections and never says a word: what a server whose
 * process hangs, or a half-open network path, looks like to a client.
 */
export class SilentServer {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;
  accepted = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
  }

  /** Cuts every open connection, so work still waiting on one ends, and stops listening. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
