import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testEnv } from './env';

/** A unique suffix, so test files can run side by side on one server. */
export const uniqueSuffix = () => randomBytes(4).toString('hex');

export async function withPgClient<T>(
  login: { user: string; password: string; database?: string; ssl?: { ca: string } },
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    host: testEnv.pg.host,
    port: testEnv.pg.port,
    user: login.user,
    password: login.password,
    database: login.database ?? 'postgres',
    ssl: login.ssl || undefined,
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export const asPgAdmin = <T>(use: (client: Client) => Promise<T>, database = 'postgres') =>
  withPgClient({ user: testEnv.pg.adminUser, password: testEnv.pg.adminPassword, database }, use);

export interface PgMaster {
  username: string;
  password: string;
  database: string;
}

/**
 * A master user as RDS makes it, and a database it owns, both new for the calling test file:
 * LOGIN CREATEROLE CREATEDB, no superuser, a member of `rds_superuser` (a NOLOGIN role that
 * scripts/test-services.sh makes with the monitoring and signalling roles). On PostgreSQL 16+
 * that is all it holds over other roles: ADMIN OPTION on the roles it creates itself.
 */
export async function createPgMaster(): Promise<PgMaster> {
  const suffix = uniqueSuffix();
  const master = {
    username: `master_${suffix}`,
    password: `master-pw-${randomBytes(12).toString('hex')}`,
    database: `app_${suffix}`,
  };
  await asPgAdmin(async (admin) => {
    await admin.query(
      `CREATE ROLE ${master.username} LOGIN CREATEROLE CREATEDB PASSWORD '${master.password}'`,
    );
    await admin.query(`GRANT rds_superuser TO ${master.username} WITH ADMIN OPTION`);
    await admin.query(`CREATE DATABASE ${master.database} OWNER ${master.username}`);
  });
  return master;
}

/** The roles `username` is a member of, with how (PostgreSQL 16+ spells each grant's options). */
export async function pgMemberships(username: string): Promise<string[]> {
  return asPgAdmin(async (admin) => {
    const options = (
      await admin.query(
        `SELECT 1 FROM pg_attribute WHERE attrelid = 'pg_auth_members'::regclass AND attname = 'inherit_option'`,
      )
    ).rowCount
      ? `, a.admin_option, a.inherit_option, a.set_option`
      : `, a.admin_option`;
    const { rows } = await admin.query<Record<string, unknown>>(
      `SELECT r.rolname AS role, g.rolname AS grantor${options}
         FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
         JOIN pg_roles g ON g.oid = a.grantor
        WHERE m.rolname = $1 ORDER BY 1, 2`,
      [username],
    );
    return rows.map((row) => Object.values(row).join(' '));
  });
}

/** Logs in as `user` and runs `sql`; resolves to the error's SQLSTATE, or 'ok'. */
export async function pgTry(
  login: { user: string; password: string; database: string; ssl?: { ca: string } },
  sql: string,
): Promise<string> {
  try {
    await withPgClient(login, (client) => client.query(sql));
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

export async function pgRoleExists(username: string): Promise<boolean> {
  return asPgAdmin(
    async (admin) =>
      (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).rowCount === 1,
  );
}

/** Stores `master` as a master secret in moto (the JSON AWS's rotation functions use). */
export async function putPgMasterSecret(master: PgMaster): Promise<string> {
  const { putMaster } = await import('./aws');
  return putMaster({
    engine: 'postgres',
    host: testEnv.pg.host,
    port: testEnv.pg.port,
    username: master.username,
    password: master.password,
    dbname: master.database,
  });
}
