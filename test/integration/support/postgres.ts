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
    ...(login.ssl ? { ssl: login.ssl } : {}),
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
 * A master user as RDS makes it (no superuser; CREATEROLE, CREATEDB) and a database it owns,
 * both new for the calling test file.
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
    await admin.query(`CREATE DATABASE ${master.database} OWNER ${master.username}`);
  });
  return master;
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
  const { putSecret } = await import('./aws');
  return putSecret({
    engine: 'postgres',
    host: testEnv.pg.host,
    port: testEnv.pg.port,
    username: master.username,
    password: master.password,
    dbname: master.database,
  });
}
