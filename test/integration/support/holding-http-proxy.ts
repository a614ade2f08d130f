import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of moto that holds the requests of one AWS operation (by its
 * `X-Amz-Target`, such as `secretsmanager.DescribeSecret`) for as long as a test likes, then
 * lets them through or drops them: an AWS API that is slow to answer, or never does.
 */
export class HoldingHttpProxy {
  private server: Server | undefined;
  private readonly held = new Map<ServerResponse, () => void>();
  holding: string | undefined;
  port = 0;
  /** How many requests it is holding, or has held. */
  heldCount = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = () => {
        const upstream = request(
          {
            host: this.target.hostname,
            port: this.target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (this.holding && req.headers['x-amz-target'] === this.holding) {
        this.heldCount++;
        this.held.set(res, forward);
        return;
      }
      forward();
    });
  }

  /** Lets the held requests through (moto then answers them), and holds nothing more. */
  release(): void {
    this.holding = undefined;
    for (const [res, forward] of this.held) {
      this.held.delete(res);
      forward();
    }
  }

  async stop(): Promise<void> {
    for (const res of this.held.keys()) res.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
