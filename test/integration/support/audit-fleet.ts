import { createServer } from 'node:net';
import type { AuditLogin, Declaration, ServerAuditInput, ServerTarget } from '../../../lib/audit/types';
import { findEngine } from '../../../lib/engines/registry';
import { parseAppSecret } from '../../../lib/secrets/secret-value';
import type { SecretStore } from '../../../lib/secrets/secret-store';
import { TAGS } from '../../../lib/secrets/tags';
import { tlsMode } from '../../../lib/users/database-server';
import { grantsFromTag, schemasFromTag } from '../../../lib/users/grants';
import { asMariaAdmin } from './mariadb';
import { asPgAdmin } from './postgres';
import type { TestDatabase } from './databases';

// The audit's input built from the secrets the tests made: the real inventory (from
// ListSecrets) is lib/audit/inventory.ts's; this reads the same tags and values one by one.

/** A managed secret's declaration, from its tags and AWSCURRENT (TLS defaults as the tests' deps: off). */
export async function declarationOf(
  store: SecretStore,
  secretArn: string,
  onDrift: Declaration['onDrift'] = 'report',
): Promise<Declaration> {
  const described = await store.describe(secretArn);
  const value = parseAppSecret(secretArn, await store.getString(secretArn, { stage: 'AWSCURRENT' }));
  const { tags } = described;
  const engine = findEngine(value.engine);
  const user = tags[TAGS.username] ?? value.username;
  const strategy = tags[TAGS.strategy] === 'alternating' ? 'alternating' : 'single';
  return {
    secretArn: described.arn,
    masterArn: value.masterarn ?? tags[TAGS.master] ?? '',
    engine: value.engine,
    host: value.host.toLowerCase(),
    port: value.port,
    user,
    ...(strategy === 'alternating' && engine ? { clone: engine.cloneUsername(user) } : {}),
    strategy,
    grants: {
      database: tags[TAGS.database] ?? value.dbname ?? '',
      schemas: schemasFromTag(tags[TAGS.schemas]),
      privileges: grantsFromTag(tags[TAGS.grants] ?? 'readonly') ?? [],
    },
    tlsRequired: engine?.family === 'mysql' && tlsMode(value.ssl, { mode: 'disable' }) !== 'disable',
    ...(value.ssl !== undefined ? { ssl: value.ssl } : {}),
    onDrift,
  };
}

export function targetOf(declarations: Declaration[], masterArn?: string): ServerTarget {
  const [first] = declarations;
  if (!first) throw new Error('a target needs a declaration');
  return {
    engine: first.engine,
    host: first.host,
    port: first.port,
    masterArn: masterArn ?? first.masterArn,
    declarations,
  };
}

/**
 * The logins the audit tries for a declaration: AWSCURRENT, and for alternating users the
 * AWSPREVIOUS that names the other login of the pair. Each password read is remembered.
 */
export function loginsFrom(store: SecretStore, remember: (password: string) => void) {
  return async (declaration: Declaration): Promise<AuditLogin[]> => {
    const described = await store.describe(declaration.secretArn);
    const stages = new Set(Object.values(described.versions).flat());
    const read = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<AuditLogin> => {
      const value = parseAppSecret(
        declaration.secretArn,
        await store.getString(declaration.secretArn, { stage }),
      );
      remember(value.password.reveal());
      return { stage, username: value.username, password: value.password };
    };
    const current = await read('AWSCURRENT');
    if (declaration.strategy !== 'alternating' || !stages.has('AWSPREVIOUS')) return [current];
    const previous = await read('AWSPREVIOUS');
    return previous.username !== current.username ? [current, previous] : [current];
  };
}

export function auditInput(
  store: SecretStore,
  target: ServerTarget,
  remember: (password: string) => void,
  options: Partial<Omit<ServerAuditInput, 'target' | 'loginsOf'>> = {},
): ServerAuditInput {
  return {
    target,
    loginsOf: loginsFrom(store, remember),
    maxConnections: 4,
    deadlineAt: Date.now() + 60_000,
    repair: false,
    ...options,
  };
}

/** A local port nothing listens on (taken, then given back). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

/** The stored password hash of a login, read as the server's administrator (never printed). */
export async function storedHash(db: TestDatabase, login: string): Promise<string> {
  if (db.family === 'postgresql') {
    return asPgAdmin(async (admin) => {
      const { rows } = await admin.query<{ hash: string }>(
        'SELECT rolpassword AS hash FROM pg_authid WHERE rolname = $1',
        [login],
      );
      return rows[0]?.hash ?? '';
    });
  }
  return asMariaAdmin(async (admin) => {
    const [rows] = await admin.query(
      `SELECT authentication_string AS hash FROM mysql.user WHERE User = ? AND Host = '%'`,
      [login],
    );
    return String((rows as { hash?: string }[])[0]?.hash ?? '');
  });
}

/** How many connections `logins` have open right now, as the server itself counts them. */
export async function openConnections(db: TestDatabase, logins: string[]): Promise<number> {
  if (db.family === 'postgresql') {
    return asPgAdmin(async (admin) => {
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1)',
        [logins],
      );
      return rows[0]?.n ?? 0;
    });
  }
  return asMariaAdmin(async (admin) => {
    const [rows] = await admin.query(
      'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER IN (?)',
      [logins],
    );
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  });
}
