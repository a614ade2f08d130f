import { randomBytes } from 'node:crypto';
import { createConnection, type Connection, type SslOptions } from 'mysql2/promise';
import { testEnv } from './env';
import { uniqueSuffix } from './postgres';

export async function withMariaClient<T>(
  login: { user: string; password: string; database?: string; ssl?: SslOptions },
  use: (client: Connection) => Promise<T>,
): Promise<T> {
  const client = await createConnection({
    host: testEnv.mariadb.host,
    port: testEnv.mariadb.port,
    user: login.user,
    password: login.password,
    database: login.database || undefined,
    ssl: login.ssl || undefined,
    connectTimeout: 5000,
  });
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export const asMariaAdmin = <T>(use: (client: Connection) => Promise<T>) =>
  withMariaClient({ user: testEnv.mariadb.adminUser, password: testEnv.mariadb.adminPassword }, use);

export interface MariaMaster {
  username: string;
  password: string;
  database: string;
}

// What RDS gives the master user of a MySQL or MariaDB instance (no SUPER, no mysql.* writes).
const RDS_MASTER_PRIVILEGES = `SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES,
  INDEX, ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE,
  REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER`;

/** A master user as RDS makes it and a database of its own, both new for the calling test file. */
export async function createMariaMaster(): Promise<MariaMaster> {
  const suffix = uniqueSuffix();
  const master = {
    username: `master_${suffix}`,
    password: `master-pw-${randomBytes(12).toString('hex')}`,
    database: `app_${suffix}`,
  };
  await asMariaAdmin(async (admin) => {
    await admin.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [master.username, master.password]);
    await admin.query(`GRANT ${RDS_MASTER_PRIVILEGES} ON *.* TO ?@'%' WITH GRANT OPTION`, [master.username]);
    await admin.query(`CREATE DATABASE \`${master.database}\``);
  });
  return master;
}

/** Logs in as `user` and runs `sql`; resolves to the error's SQLSTATE, or 'ok'. */
export async function mariaTry(
  login: { user: string; password: string; database: string; ssl?: { ca: string } },
  sql: string,
): Promise<string> {
  try {
    await withMariaClient(login, (client) => client.query(sql));
    return 'ok';
  } catch (error) {
    const { sqlState, code } = error as { sqlState?: string; code?: string };
    return sqlState ?? code ?? String(error);
  }
}

export async function mariaUserExists(username: string): Promise<boolean> {
  return asMariaAdmin(async (admin) => {
    const [rows] = await admin.query(`SELECT 1 FROM mysql.user WHERE User = ?`, [username]);
    return (rows as unknown[]).length > 0;
  });
}
