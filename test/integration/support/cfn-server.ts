import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CustomResourceResponse } from '../../../lib/cfn/event';

/**
 * A real HTTP server standing in for CloudFormation's pre-signed S3 URL: it records every
 * PUT body (raw, so tests can scan it for passwords) and answers 200.
 */
export class CfnResponseServer {
  readonly received: {
    path: string;
    contentType: string | undefined;
    raw: string;
    body: CustomResourceResponse;
  }[] = [];
  private server: Server | undefined;
  private port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        if (req.method === 'PUT') {
          this.received.push({
            path: req.url ?? '',
            contentType: req.headers['content-type'],
            raw,
            body: JSON.parse(raw) as CustomResourceResponse,
          });
        }
        res.writeHead(req.method === 'PUT' ? 200 : 405).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
  }

  /** A response URL with a signature-like query, as CloudFormation's are. */
  urlFor(requestId: string): string {
    return `http://127.0.0.1:${this.port}/cfn-response/${requestId}?X-Amz-Signature=test-signature`;
  }

  responseTo(requestId: string): CustomResourceResponse {
    const found = this.received.filter((r) => r.path.startsWith(`/cfn-response/${requestId}?`));
    if (found.length !== 1) throw new Error(`expected one response to ${requestId}, got ${found.length}`);
    return found[0]!.body;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
