import { declarationOf } from '../../../lib/audit/declaration';
import { groupByServer } from '../../../lib/audit/inventory';
import { Password } from '../../../lib/secrets/password';
import type { AppSecretValue } from '../../../lib/secrets/secret-value';
import { described } from './fixtures';

const value = (overrides: Partial<AppSecretValue> = {}): AppSecretValue => ({
  engine: 'postgres',
  host: 'DB-1.example',
  port: 5432,
  username: 'orders_app',
  password: new Password('not-printed-pw-123'),
  masterarn: 'arn:master',
  ...overrides,
});
const TLS = { mode: 'verify-full' as const };

describe('what a managed secret declares', () => {
  it('reads grants, schemas, database, strategy and the clone from tags and the value', () => {
    const tags = {
      'dbauth:grants': 'readwrite',
      'dbauth:schemas': 'app audit',
      'dbauth:database': 'orders',
      'dbauth:strategy': 'alternating',
      'dbauth:user': 'orders_app',
    };
    const result = declarationOf(described({ tags }), value({ username: 'orders_app_clone' }), TLS);
    expect(result).toEqual({
      declaration: {
        secretArn: described().arn,
        masterArn: 'arn:master',
        engine: 'postgres',
        host: 'db-1.example',
        port: 5432,
        user: 'orders_app',
        clone: 'orders_app_clone',
        strategy: 'alternating',
        grants: {
          database: 'orders',
          schemas: ['app', 'audit'],
          privileges: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
        },
        tlsRequired: false,
        onDrift: 'report',
      },
    });
  });

  it('requires TLS of a MySQL account when the secret is reached over TLS', () => {
    const mysql = (ssl?: boolean) =>
      declarationOf(
        described(),
        value({ engine: 'mariadb', port: 3306, ...(ssl === undefined ? {} : { ssl }) }),
        TLS,
      );
    expect(mysql()).toMatchObject({ declaration: { tlsRequired: true } });
    expect(mysql(false)).toMatchObject({ declaration: { tlsRequired: false, ssl: false } });
  });

  it('reads dbauth:on-drift, and an unknown value as report with a warning', () => {
    const onDrift = (v: string) => declarationOf(described({ tags: { 'dbauth:on-drift': v } }), value(), TLS);
    expect(onDrift('repair')).toMatchObject({ declaration: { onDrift: 'repair' } });
    expect(onDrift('report')).not.toHaveProperty('warning');
    expect(onDrift('fix-it')).toMatchObject({
      declaration: { onDrift: 'report' },
      warning: expect.stringContaining('neither report nor repair'),
    });
  });

  it('declares nothing for a secret without a master or with grants it cannot read', () => {
    expect(declarationOf(described(), value({ masterarn: undefined }), TLS)).toEqual({
      problem: expect.stringContaining('names no master'),
    });
    expect(declarationOf(described({ tags: { 'dbauth:grants': 'everything' } }), value(), TLS)).toEqual({
      problem: expect.stringContaining('dbauth:grants'),
    });
  });

  it('groups declarations by engine, server and master', () => {
    const d = (arn: string, host: string, master: string) => {
      const r = declarationOf(described({ arn }), value({ host, masterarn: master }), TLS);
      if (!('declaration' in r)) throw new Error('no declaration');
      return {
        description: described({ arn }),
        where: { engine: 'postgres', host, port: 5432 },
        declaration: r.declaration,
      };
    };
    const targets = groupByServer([
      d('a', 'h1', 'm1'),
      d('b', 'H1', 'm1'),
      d('c', 'h1', 'm2'),
      d('e', 'h2', 'm1'),
    ]);
    expect(targets.map((t) => [t.host, t.masterArn, t.declarations.map((x) => x.secretArn)])).toEqual([
      ['h1', 'm1', ['a', 'b']],
      ['h1', 'm2', ['c']],
      ['h2', 'm1', ['e']],
    ]);
  });
});
