import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy that holds each connection for `delayMs` before passing it on: a database
 * that answers, but only after the Lambda deadline. `settled()` resolves once every proxied
 * connection has closed, i.e. the work that used them has ended, however it ended.
 */
export class SlowProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private open = 0;
  private waiters: (() => void)[] = [];
  port = 0;
  accepted = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly delayMs: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.hold(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
  }

  private hold(client: Socket): void {
    this.accepted++;
    this.open++;
    this.sockets.add(client);
    client.pause(); // what the client sends waits in the socket until the delay is over
    client.on('error', () => undefined);
    client.on('close', () => {
      this.sockets.delete(client);
      if (--this.open === 0) this.waiters.splice(0).forEach((wake) => wake());
    });
    setTimeout(() => {
      if (client.destroyed) return;
      const upstream = connect(this.target);
      this.sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()));
      client.on('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
      client.resume();
    }, this.delayMs);
  }

  /** Resolves when no proxied connection is open any more (after at least one was made). */
  settled(): Promise<void> {
    if (this.accepted > 0 && this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
