import type { PeerCertificate } from 'node:tls';
import { tlsOptions } from '../../../lib/engines/tls';

const certFor = (subjectaltname: string) => ({ subjectaltname, subject: {} }) as unknown as PeerCertificate;

describe('verify-full TLS options', () => {
  it('sends a host name as SNI and leaves the name check to TLS', () => {
    const options = tlsOptions({ mode: 'verify-full' }, 'db.example.internal');
    expect(options).toMatchObject({ rejectUnauthorized: true, servername: 'db.example.internal' });
    expect(options && options.checkServerIdentity).toBeUndefined();
  });

  it.each(['10.0.0.5', '::1'])(
    'sends no SNI for an address (%s), and checks the certificate against that address',
    (host) => {
      const options = tlsOptions({ mode: 'verify-full' }, host);
      if (!options || !options.checkServerIdentity) throw new Error('expected a certificate check');
      expect(options.servername).toBeUndefined();
      // The name TLS hands the check does not matter: the endpoint's address is what is checked.
      expect(options.checkServerIdentity('localhost', certFor(`IP Address:${host}`))).toBeUndefined();
      expect(options.checkServerIdentity(host, certFor('IP Address:10.9.9.9, DNS:localhost'))).toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    },
  );
});
