import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real database that a test can break on cue: the database seen
 * to die when the client sends a given statement (plaintext protocols: tests run without TLS),
 * and to stay dead until `revive()`.
 */
export class FaultProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private cutOn: { pattern: string; stayDown: boolean } | undefined;
  private down = false;
  port = 0;
  /** How many times the proxy cut a connection on its pattern. */
  cuts = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
  }

  /**
   * The next time a client sends bytes holding `pattern`, its connection is cut before the
   * server sees them; with `stayDown`, every connection after that is refused until `revive()`.
   */
  dieOn(pattern: string, options: { stayDown: boolean }): void {
    this.cutOn = { pattern, ...options };
  }

  revive(): void {
    this.down = false;
    this.cutOn = undefined;
  }

  private relay(client: Socket): void {
    this.sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => this.sockets.delete(client));
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target);
    this.sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()));
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.cutOn && chunk.includes(this.cutOn.pattern)) {
        this.cuts++;
        this.down = this.cutOn.stayDown;
        this.cutOn = undefined;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
