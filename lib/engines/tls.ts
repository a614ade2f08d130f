import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Endpoint } from './engine';

/**
 * Node TLS options for an endpoint, or false for plaintext. `require` encrypts without
 * checking the certificate; `verify-full` checks it against the CA bundle (the RDS bundle in
 * production). A server that does not speak TLS then fails the connection: dbauth never
 * falls back to plaintext by itself.
 */
export function tlsOptions(tls: Endpoint['tls'], host: string): ConnectionOptions | false {
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return {
        rejectUnauthorized: true,
        servername: host,
        ...(tls.caBundlePath ? { ca: readFileSync(tls.caBundlePath, 'utf8') } : {}),
      };
  }
}
