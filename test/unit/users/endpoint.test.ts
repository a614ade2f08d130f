import type { RDSClient } from '@aws-sdk/client-rds';
import { settingsFromEnv } from '../../../lib/config';
import { Password } from '../../../lib/secrets/password';
import { resolveEndpoint } from '../../../lib/users/endpoint';

const rds = {} as RDSClient; // never called: the secrets below say where the database is
const master = (engine: string) =>
  ({
    value: { engine, host: 'db.example', port: 3306, username: 'admin', password: new Password('x') },
    tags: async () => ({}),
  }) as Parameters<typeof resolveEndpoint>[0];

describe('DBAUTH_MYSQL_USER_HOST', () => {
  it('reaches MySQL-family endpoints as their account host, and only those', async () => {
    const settings = settingsFromEnv({ DBAUTH_MYSQL_USER_HOST: '10.0.%' });
    expect(settings.mysqlUserHost).toBe('10.0.%');
    const deps = { rds, tls: settings.tls, mysqlUserHost: settings.mysqlUserHost };
    expect((await resolveEndpoint(master('aurora-mysql'), {}, deps)).endpoint.userHost).toBe('10.0.%');
    expect((await resolveEndpoint(master('mariadb'), {}, deps)).endpoint.database).toBe('mysql');
    expect((await resolveEndpoint(master('postgres'), {}, deps)).endpoint.userHost).toBeUndefined();
  });

  it('is unset by default: the engine uses %', () => {
    expect(settingsFromEnv({}).mysqlUserHost).toBeUndefined();
  });
});
