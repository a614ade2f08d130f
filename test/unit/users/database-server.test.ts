import type { RDSClient } from '@aws-sdk/client-rds';
import { settingsFromEnv } from '../../../lib/config';
import { Password } from '../../../lib/secrets/password';
import { resolveDatabaseServer } from '../../../lib/users/database-server';

const rds = {} as RDSClient; // never called: the secrets below say where the database is
const master = (engine: string) =>
  ({
    value: { engine, host: 'db.example', port: 3306, username: 'admin', password: new Password('x') },
    tags: async () => ({}),
  }) as Parameters<typeof resolveDatabaseServer>[0];

describe('DBAUTH_MYSQL_USER_HOST', () => {
  it('reaches endpoints as their account host (engines without one ignore it), and each engine has its default database', async () => {
    const settings = settingsFromEnv({ DBAUTH_MYSQL_USER_HOST: '10.0.%' });
    expect(settings.mysqlUserHost).toBe('10.0.%');
    const deps = { rds, tls: settings.tls, mysqlUserHost: settings.mysqlUserHost };
    expect((await resolveDatabaseServer(master('aurora-mysql'), {}, deps)).endpoint.userHost).toBe('10.0.%');
    expect((await resolveDatabaseServer(master('mariadb'), {}, deps)).endpoint.database).toBe('mysql');
    expect((await resolveDatabaseServer(master('postgres'), {}, deps)).endpoint.database).toBe('postgres');
  });

  it('is unset by default: the engine uses %', () => {
    expect(settingsFromEnv({}).mysqlUserHost).toBeUndefined();
  });
});

describe('overrides of where the master password goes', () => {
  const deps = { rds, tls: { mode: 'verify-full' as const } };
  const withSsl = (ssl: boolean | 'require' | 'verify-full' | 'disable' | undefined) =>
    ({
      value: {
        engine: 'postgres',
        host: 'db.example',
        port: 5432,
        username: 'admin',
        password: new Password('x'),
        ssl,
      },
      tags: async () => ({}),
    }) as Parameters<typeof resolveDatabaseServer>[0];

  it('accepts Host and Port that repeat the master secret, in any case', async () => {
    const resolved = await resolveDatabaseServer(
      withSsl(undefined),
      { host: 'DB.example', port: 5432 },
      deps,
    );
    expect(resolved.endpoint).toMatchObject({ host: 'DB.example', port: 5432 });
  });

  it('refuses Host or Port that name another server', async () => {
    await expect(
      resolveDatabaseServer(withSsl(undefined), { host: 'collector.example' }, deps),
    ).rejects.toThrow(/another server than the master secret's \(db\.example:5432\)/);
    await expect(resolveDatabaseServer(withSsl(undefined), { port: 6543 }, deps)).rejects.toThrow(
      /another server/,
    );
  });

  it('lets Ssl ask for more TLS than the master secret, never for less', async () => {
    const mode = async (master: Parameters<typeof withSsl>[0], ssl: Parameters<typeof withSsl>[0]) =>
      (
        await resolveDatabaseServer(withSsl(master), ssl === undefined ? {} : { ssl }, {
          rds,
          tls: { mode: 'disable' },
        })
      ).endpoint.tls.mode;
    expect(await mode('verify-full', false)).toBe('verify-full');
    expect(await mode('require', 'disable')).toBe('require');
    expect(await mode(undefined, 'require')).toBe('require');
    expect(await mode(false, 'verify-full')).toBe('verify-full');
    expect(await mode(undefined, undefined)).toBe('disable');
  });
});
