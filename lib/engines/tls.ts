import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { InvalidInputError } from '../errors';
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
        // SNI carries host names only (RFC 6066; Node deprecates an IP there): an endpoint named
        // by its address is checked against the certificate's IP entries without it.
        ...(isIP(host) === 0
          ? { servername: host }
          : { checkServerIdentity: (_name: string, cert) => checkServerIdentity(host, cert) }),
        ca: tls.caBundlePath ? readCaBundle(tls.caBundlePath) : undefined,
      };
  }
}

function readCaBundle(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new InvalidInputError(
      `the CA bundle ${path} (DBAUTH_CA_BUNDLE) cannot be read (${typeof code === 'string' ? code : 'unreadable'}): deploy it with the function, or point DBAUTH_CA_BUNDLE at one that is`,
    );
  }
}
