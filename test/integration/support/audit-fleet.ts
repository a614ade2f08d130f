import { createServer } from 'node:net';
import type { AuditLogin, Declaration, ServerAuditInput, ServerTarget } from '../../../lib/audit/types';
import { declarationOf as declaredBy } from '../../../lib/audit/declaration';
import { parseAppSecret } from '../../../lib/secrets/secret-value';
import type { SecretStore } from '../../../lib/secrets/secret-store';
import { secretStore } from './aws';
import type { TestDatabase } from './databases';
import type { CustomResourceHarness } from './harness';
import { motoRotationFunctionArn } from './lambda';
import { asMariaAdmin } from './mariadb';
import { asPgAdmin } from './postgres';
import { rotate } from './rotation';

// The audit's input built from the secrets the tests made: the real inventory (from
// ListSecrets) is lib/audit/inventory.ts's; this reads the same tags and values one by one.

/** A managed secret's declaration, from its tags and AWSCURRENT (TLS defaults as the tests' deps: off). */
export async function declarationOf(
  store: SecretStore,
  secretArn: string,
  onDrift: Declaration['onDrift'] = 'report',
): Promise<Declaration> {
  const value = parseAppSecret(secretArn, await store.getString(secretArn, { stage: 'AWSCURRENT' }));
  const read = declaredBy(await store.describe(secretArn), value, { mode: 'disable' });
  if ('problem' in read) throw new Error(`${secretArn}: ${read.problem}`);
  return { ...read.declaration, onDrift };
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
 * AWSPREVIOUS that names the other login of the pair; with `pending`, also an AWSPENDING that
 * holds a password of its own (a rotation stopped half-way). Each password read is remembered.
 */
export function loginsFrom(
  store: SecretStore,
  remember: (password: string) => void,
  options: { pending?: boolean } = {},
) {
  return async (declaration: Declaration): Promise<AuditLogin[]> => {
    const described = await store.describe(declaration.secretArn);
    const stages = new Set(Object.values(described.versions).flat());
    const read = async (stage: AuditLogin['stage']): Promise<AuditLogin> => {
      const value = parseAppSecret(
        declaration.secretArn,
        await store.getString(declaration.secretArn, { stage }),
      );
      remember(value.password.reveal());
      return { stage, username: value.username, password: value.password };
    };
    const logins = [await read('AWSCURRENT')];
    if (declaration.strategy === 'alternating' && stages.has('AWSPREVIOUS')) {
      const previous = await read('AWSPREVIOUS');
      if (previous.username !== logins[0]?.username) logins.push(previous);
    }
    if (options.pending && stages.has('AWSPENDING')) {
      const pending = await read('AWSPENDING');
      if (!pending.password.equals(logins[0]?.password ?? pending.password)) logins.push(pending);
    }
    return logins;
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

/**
 * The most connections `logins` had open at once while `work` ran, as the server itself counts
 * them (pg_stat_activity, PROCESSLIST), sampled every few milliseconds.
 */
export async function peakConnectionsDuring<T>(
  db: TestDatabase,
  logins: string[],
  work: () => Promise<T>,
): Promise<{ peak: number; value: T }> {
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await openConnections(db, logins));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  try {
    const value = await work();
    return { value, peak };
  } finally {
    sampling = false;
    await sampler;
  }
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

const PRESETS = ['readonly', 'readwrite', ['SELECT', 'INSERT'], 'owner'] as const;

/**
 * A fleet of `size` users made through the real custom resource on the harness's server:
 * single (even) and alternating (odd) users, the four kinds of grants in turn, user 5 on two
 * schemas (PostgreSQL), the alternating users `rotated` rotated once (their AWSCURRENT is the
 * clone), then tables made by the master (one readable by PUBLIC) and by an owner user (11).
 * On MariaDB one more user made over TLS requires it. Declarations as the audit reads them.
 */
export async function buildFleet(
  h: CustomResourceHarness,
  run: string,
  options: { size: number; rotated: number[] },
): Promise<{ fleet: Declaration[]; tlsUser?: Declaration }> {
  const { db } = h;
  const pg = db.family === 'postgresql';
  const store = secretStore();
  const rotationLambdaArn = await motoRotationFunctionArn();
  const extraSchema = `audit_extra_${run}`;
  await db.asMaster(h.master, db.itemsTable, ...(pg ? [`CREATE SCHEMA ${extraSchema}`] : []));
  const create = async (index: number, extra: Record<string, unknown>) => {
    const response = await h.send('Create', {
      properties: h.props(`au${index}_${run}`, extra),
      logicalResourceId: `AuditUser${index}`,
      deps: { rotationLambdaArn },
    });
    expect(response.Status).toBe('SUCCESS');
    const secretArn = response.Data?.SecretArn ?? '';
    await h.storedLogin(secretArn);
    return secretArn;
  };
  const arns: string[] = [];
  for (let index = 0; index < options.size; index += 1) {
    arns.push(
      await create(index, {
        Grants: PRESETS[index % PRESETS.length],
        ...(pg && index === 5 ? { Schemas: ['public', extraSchema] } : {}),
        Rotation: { Strategy: index % 2 === 1 ? 'alternating' : 'single', AutomaticallyAfterDays: '30' },
      }),
    );
  }
  for (const index of options.rotated) await rotate(arns[index] ?? '');
  await db.asMaster(
    h.master,
    `CREATE TABLE later_${run} (id int)`,
    `CREATE TABLE open_${run} (id int)`,
    `GRANT SELECT ON open_${run} TO PUBLIC`,
  );
  const owner = await h.storedLogin(arns[11] ?? '');
  expect(await db.tryAs(owner, `CREATE TABLE owned_${run} (id int)`)).toBe('ok');
  const fleet: Declaration[] = [];
  for (const arn of arns) fleet.push(await declarationOf(store, arn));
  if (pg) return { fleet };
  return {
    fleet,
    tlsUser: await declarationOf(store, await create(99, { Ssl: 'require', Grants: 'readonly' })),
  };
}
