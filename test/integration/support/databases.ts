import type { EngineName } from '../../../lib/engines/registry';
import { putMaster } from './aws';
import { testEnv } from './env';
import { asMariaAdmin, createMariaMaster, mariaTry, mariaUserExists, withMariaClient } from './mariadb';
import { asPgAdmin, createPgMaster, pgRoleExists, pgTry, withPgClient } from './postgres';

/** A master user and a database of its own, on one test server. */
export interface TestMaster {
  username: string;
  password: string;
  database: string;
}

export interface DbLogin {
  user: string;
  password: string;
  database: string;
  /** Log in over TLS, verifying the server's certificate against `ca`. */
  ssl?: { ca: string };
}

/**
 * One real database server as the engine-neutral tests see it: what differs between engines
 * (SQL, catalogs, error codes) lives here, so a test reads the same for every engine.
 */
export interface TestDatabase {
  /** For test names: `PostgreSQL 17`, `MariaDB`. */
  readonly name: string;
  /** The secret JSON's engine. */
  readonly engine: EngineName;
  readonly family: 'postgresql' | 'mysql';
  readonly host: string;
  readonly port: number;
  /** The server's superuser: injections aim at it, and it is a reserved name. */
  readonly adminUser: string;
  /** What `tryAs` answers when a privilege is missing. */
  readonly denied: string;
  /** DDL of the `items` table (an auto-numbered id and a name). */
  readonly itemsTable: string;
  createMaster(): Promise<TestMaster>;
  /** The master secret's JSON, as AWS's rotation functions write it. */
  masterSecretValue(master: TestMaster, password?: string): Record<string, unknown>;
  putMasterSecret(master: TestMaster): Promise<string>;
  /** Logs in and runs `sql`: 'ok', or the error's SQLSTATE (or driver code). */
  tryAs(login: DbLogin, sql: string): Promise<string>;
  /** Runs statements as the master in its database. */
  asMaster(master: TestMaster, ...sql: string[]): Promise<void>;
  /** Holds a connection open as `login` while `use` runs; `use` gets a query function (resolving to rows). */
  withConnection<T>(
    login: DbLogin,
    use: (query: (sql: string) => Promise<unknown>) => Promise<T>,
  ): Promise<T>;
  userExists(username: string): Promise<boolean>;
  /** A login the master made by hand, that can reach the master's database and nothing more. */
  createLogin(master: TestMaster, username: string, password: string): Promise<void>;
  /**
   * A user made by hand as an application team would: it reaches the database and may SELECT
   * from `items` (PostgreSQL: CONNECT, USAGE on public, SELECT on items; MySQL: SELECT on the database).
   */
  createHandMadeUser(master: TestMaster, username: string, password: string): Promise<void>;
  /** What lets `username` create tables and use them (PostgreSQL: CREATE on public). */
  grantCreate(master: TestMaster, username: string): Promise<void>;
  /** Changes a password behind dbauth's back, as the server's superuser. */
  setPasswordAsAdmin(username: string, password: string): Promise<void>;
  /** Drops a user behind dbauth's back, as the server's superuser. */
  dropUserAsAdmin(master: TestMaster, username: string): Promise<void>;
}

export const postgres: TestDatabase = {
  name: `PostgreSQL ${testEnv.pg.major}`,
  engine: 'postgres',
  family: 'postgresql',
  host: testEnv.pg.host,
  port: testEnv.pg.port,
  adminUser: testEnv.pg.adminUser,
  denied: '42501',
  itemsTable: 'CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text)',
  createMaster: createPgMaster,
  masterSecretValue(master, password = master.password) {
    return {
      engine: 'postgres',
      host: testEnv.pg.host,
      port: testEnv.pg.port,
      username: master.username,
      password,
      dbname: master.database,
    };
  },
  putMasterSecret(master) {
    return putMaster(this.masterSecretValue(master));
  },
  tryAs: pgTry,
  async asMaster(master, ...sql) {
    await withPgClient(
      { user: master.username, password: master.password, database: master.database },
      async (c) => {
        for (const statement of sql) await c.query(statement);
      },
    );
  },
  withConnection(login, use) {
    return withPgClient(login, (client) => use(async (sql) => (await client.query(sql)).rows));
  },
  userExists: pgRoleExists,
  async createLogin(master, username, password) {
    await this.asMaster(master, `CREATE ROLE ${username} LOGIN PASSWORD '${password}'`);
  },
  async createHandMadeUser(master, username, password) {
    await this.asMaster(
      master,
      this.itemsTable,
      `CREATE ROLE ${username} LOGIN PASSWORD '${password}'`,
      `GRANT CONNECT ON DATABASE ${master.database} TO ${username}`,
      `GRANT USAGE ON SCHEMA public TO ${username}`,
      `GRANT SELECT ON items TO ${username}`,
    );
  },
  async grantCreate(master, username) {
    await this.asMaster(master, `GRANT CREATE ON SCHEMA public TO ${username}`);
  },
  async setPasswordAsAdmin(username, password) {
    await asPgAdmin((admin) => admin.query(`ALTER ROLE ${username} PASSWORD '${password}'`));
  },
  async dropUserAsAdmin(master, username) {
    await asPgAdmin(
      (admin) => admin.query(`DROP OWNED BY ${username}; DROP ROLE ${username}`),
      master.database,
    );
  },
};

export const mariadb: TestDatabase = {
  name: 'MariaDB',
  engine: 'mariadb',
  family: 'mysql',
  host: testEnv.mariadb.host,
  port: testEnv.mariadb.port,
  adminUser: testEnv.mariadb.adminUser,
  // ER_TABLEACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR and their kin
  denied: '42000',
  itemsTable: 'CREATE TABLE IF NOT EXISTS items (id int AUTO_INCREMENT PRIMARY KEY, name text)',
  createMaster: createMariaMaster,
  masterSecretValue(master, password = master.password) {
    return {
      engine: 'mariadb',
      host: testEnv.mariadb.host,
      port: testEnv.mariadb.port,
      username: master.username,
      password,
      dbname: master.database,
    };
  },
  putMasterSecret(master) {
    return putMaster(this.masterSecretValue(master));
  },
  tryAs: mariaTry,
  async asMaster(master, ...sql) {
    await withMariaClient(
      { user: master.username, password: master.password, database: master.database },
      async (c) => {
        for (const statement of sql) await c.query(statement);
      },
    );
  },
  withConnection(login, use) {
    return withMariaClient(login, (client) => use(async (sql) => (await client.query(sql))[0]));
  },
  userExists: mariaUserExists,
  async createLogin(master, username, password) {
    await this.asMaster(
      master,
      `CREATE USER '${username}'@'%' IDENTIFIED BY '${password}'`,
      // MySQL has no CONNECT privilege: reaching a database takes a privilege in it.
      `GRANT SELECT ON \`${master.database}\`.* TO '${username}'@'%'`,
    );
  },
  async createHandMadeUser(master, username, password) {
    await this.asMaster(
      master,
      this.itemsTable,
      `CREATE USER '${username}'@'%' IDENTIFIED BY '${password}'`,
      `GRANT SELECT ON \`${master.database}\`.* TO '${username}'@'%'`,
    );
  },
  async grantCreate(master, username) {
    // MySQL users own nothing: making tables and using them are separate privileges.
    await this.asMaster(
      master,
      `GRANT CREATE, INSERT, DROP ON \`${master.database}\`.* TO '${username}'@'%'`,
    );
  },
  async setPasswordAsAdmin(username, password) {
    await asMariaAdmin((admin) => admin.query(`ALTER USER ?@'%' IDENTIFIED BY ?`, [username, password]));
  },
  async dropUserAsAdmin(_master, username) {
    await asMariaAdmin((admin) => admin.query(`DROP USER ?@'%'`, [username]));
  },
};

/** Every real engine the engine-neutral tests run against in this jest project. */
export const TEST_DATABASES: TestDatabase[] = testEnv.mariadb.inUse ? [postgres, mariadb] : [postgres];

/** The test database a secret's engine name lives on. */
export const databaseOf = (engine: string): TestDatabase =>
  engine.includes('postgres') ? postgres : mariadb;
