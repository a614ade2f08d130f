import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real database that a test can break on cue (patterns are matched
 * in what the client sends; tests run without TLS): the database seen to die at a statement
 * and stay dead, or the network to stall, at once or at a statement, until `revive()`.
 */
export class FaultProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private cutOn: { pattern: string; stayDown: boolean } | undefined;
  private stallOn: Buffer | undefined;
  private stalled = false;
  private down = false;
  port = 0;
  /** How many times the proxy cut a connection on its pattern. */
  cuts = 0;
  /** How many times it stalled on its pattern. */
  stalls = 0;

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

  /**
   * The network stalls, until `revive()`: with `pattern`, the connection whose client sends it
   * next passes nothing more either way; without, every connection stalls at once and new ones
   * hang unanswered. Sockets stay open, as behind a dead route.
   */
  stall(pattern?: string | Buffer): void {
    if (pattern === undefined) this.stalled = true;
    else this.stallOn = Buffer.isBuffer(pattern) ? pattern : Buffer.from(pattern);
  }

  revive(): void {
    this.down = false;
    this.stalled = false;
    this.cutOn = undefined;
    this.stallOn = undefined;
  }

  private relay(client: Socket): void {
    this.sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => this.sockets.delete(client));
    if (this.down) {
      client.destroy();
      return;
    }
    // Accepted, never answered; what the client sends is read and dropped, so its close is seen.
    if (this.stalled) {
      client.resume();
      return;
    }
    const upstream = connect(this.target);
    this.sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()));
    client.on('close', () => upstream.destroy());
    let held = false; // this connection alone stalled, on its pattern
    client.on('data', (chunk: Buffer) => {
      if (this.stallOn && chunk.includes(this.stallOn)) {
        this.stalls++;
        held = true;
        this.stallOn = undefined;
      }
      if (this.stalled || held) return;
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
    upstream.on('data', (chunk: Buffer) => {
      if (!this.stalled && !held) client.write(chunk);
    });
  }

  /** How many sockets (either side of a connection) are open through the proxy now. */
  get open(): number {
    return [...this.sockets].filter((socket) => !socket.destroyed).length;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
