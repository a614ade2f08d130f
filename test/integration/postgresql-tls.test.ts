import './support/env';
import { createServer, type Server, type Socket } from 'node:net';
import { postgresql } from '../../lib/engines/postgresql/adapter';
import type { Endpoint, TlsMode } from '../../lib/engines/engine';
import { Password } from '../../lib/secrets/password';
import { asPgAdmin, createPgMaster, type PgMaster } from './support/postgres';
import { testEnv } from './support/env';

const CA = process.env.DBAUTH_TEST_CA ?? '/tmp/dbauth-services/tls/ca.pem';
const timeouts = { connectMs: 3000, statementMs: 3000 };

describe('PostgreSQL connections and TLS', () => {
  let master: PgMaster;
  beforeAll(async () => {
    master = await createPgMaster();
  });

  const endpoint = (
    mode: TlsMode,
    options: { host?: string; port?: number; ca?: string } = {},
  ): Endpoint => ({
    engine: 'postgres',
    host: options.host ?? testEnv.pg.host,
    port: options.port ?? testEnv.pg.port,
    database: master.database,
    tls: { mode, caBundlePath: options.ca },
  });
  const login = () => ({ username: master.username, password: new Password(master.password) });

  /** Whether the server sees the master's open session as encrypted. */
  async function encrypted(mode: TlsMode, options: { host?: string; ca?: string } = {}): Promise<boolean> {
    const session = await postgresql.connect(endpoint(mode, options), login(), timeouts);
    try {
      const rows = await asPgAdmin((admin) =>
        admin.query(
          `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
           WHERE a.usename = $1 AND a.application_name = 'dbauth'`,
          [master.username],
        ),
      );
      return rows.rows.length === 1 && rows.rows[0].ssl === true;
    } finally {
      await session.close();
    }
  }

  it('verifies the server certificate against the configured CA bundle', async () => {
    expect(await encrypted('verify-full', { ca: CA })).toBe(true);
    expect(await encrypted('verify-full', { ca: CA, host: 'localhost' })).toBe(true);
  });

  it('refuses a certificate it cannot verify instead of connecting anyway', async () => {
    await expect(postgresql.connect(endpoint('verify-full'), login(), timeouts)).rejects.toThrow(
      /TLS certificate could not be verified .* DBAUTH_CA_BUNDLE/,
    );
  });

  it('encrypts without verifying in require mode, and not at all when disabled', async () => {
    expect(await encrypted('require')).toBe(true);
    expect(await encrypted('disable')).toBe(false);
  });

  describe('a server that does not offer TLS', () => {
    let server: Server;
    let port = 0;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      // Answers PostgreSQL's SSLRequest with 'N', as a server without TLS does.
      server = createServer((socket) => {
        sockets.push(socket);
        socket.once('data', () => socket.write('N'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it.each(['require', 'verify-full'] as const)(
      'is refused in %s mode, never used in plaintext',
      async (mode) => {
        await expect(postgresql.connect(endpoint(mode, { port, ca: CA }), login(), timeouts)).rejects.toThrow(
          /does not offer TLS and TLS mode is .* never falls back to plaintext/,
        );
      },
    );
  });
});
