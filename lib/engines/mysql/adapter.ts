import type { Connection } from 'mysql2/promise';
import type { Password } from '../../secrets/password';
import type { DropOptions, Endpoint, Engine, EngineSession, GrantSet, Login, Timeouts } from '../engine';
import {
  AuthenticationFailedError,
  DatabaseError,
  DatabaseUnreachableError,
  InvalidIdentifierError,
  UserOwnsObjectsError,
} from '../errors';
import { CLONE_SUFFIX, checkIdentifier, suffixWithin } from '../identifiers';
import { account, type Flavour, type Statement } from './statements';
import * as sql from './statements';
import { parseGrants, syncStatements } from './grants';
import { resolvesWithin, statementLimitMs } from '../../deadline';
import { asDriverError, driverFailure, loadDriver, sslOf, whyUnreachable } from './driver';

/**
 * 32 is MySQL's limit since 5.7.8 (and Aurora MySQL's); MariaDB 10.x takes 128. The family
 * uses 32, so a name that works on one server works on all, and clone names are the same.
 */
export const MAX_USERNAME = 32;
const MAX_DATABASE = 64;
const DEFAULT_USER_HOST = '%';
// The server's own accounts, RDS's, and names that are keywords in account clauses.
const RESERVED_USERS = /^(root|rds.*|mysql|mariadb_sys|public|none|current_user|current_role)$/i;
// ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
const AUTH_FAILURES = new Set([1045, 1698]);
// CREATE USER of a user that exists (ER_CANNOT_USER).
const USER_EXISTS = 'ER_CANNOT_USER';
// ER_NONEXISTING_GRANT, ER_NONEXISTING_TABLE_GRANT, ER_NONEXISTING_PROC_GRANT: nothing to revoke.
const NOTHING_TO_REVOKE = new Set([1141, 1147, 1403]);

/** How long a polite end of the connection may take before it is destroyed. */
const CLOSE_MS = 1000;
// Past the server's own limit, the client waits this much longer for its answer.
const ANSWER_GRACE_MS = 1000;

interface SessionLimits {
  statementMs: number;
  abort: AbortSignal | undefined;
  deadlineAt: number | undefined;
  /** Ends the statement a thread runs, from a connection of its own (KILL QUERY). */
  killQuery: (threadId: number) => Promise<void>;
}

class MysqlSession implements EngineSession {
  readonly grantScope = 'database';

  constructor(
    private readonly connection: Connection,
    readonly username: string,
    private readonly userHost: string,
    /** Users this session creates must use TLS: the session itself does. */
    private readonly requireTls: boolean,
    private readonly flavour: Flavour,
    private readonly limits: SessionLimits,
  ) {
    limits.abort?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => void this.abandon();

  async userExists(username: string): Promise<boolean> {
    return (await this.rows('look up user', sql.USER_EXISTS, [username, this.userHost])).length > 0;
  }

  async createUser(username: string, password: Password): Promise<void> {
    await this.createWith(username, password, this.requireTls);
  }

  async setPassword(username: string, password: Password): Promise<void> {
    await this.run('set password', sql.setPassword(username, this.userHost, password, this.flavour));
  }

  async changeOwnPassword(password: Password): Promise<void> {
    await this.run('change own password', sql.changeOwnPassword(password, this.flavour));
  }

  /** The clone is an account of its own with copies of the source's grants (MySQL has no membership to lean on). */
  async cloneUser(source: string, clone: string, password: Password): Promise<void> {
    await this.createWith(clone, password, this.requireTls || (await this.requiresTls(source)));
    await this.syncClone(source, clone);
  }

  async syncClone(source: string, clone: string): Promise<void> {
    const wanted = parseGrants(await this.grantsOf(source));
    const has = parseGrants(await this.grantsOf(clone));
    for (const statement of syncStatements(wanted, has, account(clone, this.userHost)))
      await this.run('copy grant to clone', statement, NOTHING_TO_REVOKE);
  }

  async grant(username: string, grants: GrantSet): Promise<void> {
    // Writing to the grant tables is becoming anyone: never grant on them.
    if (/^(mysql|information_schema|performance_schema|sys)$/i.test(grants.database)) {
      throw new InvalidIdentifierError(
        'database name',
        `${grants.database} is the server's own; set Database to the application's database`,
      );
    }
    for (const statement of sql.grant(username, this.userHost, grants)) await this.run('grant', statement);
  }

  // Schemas mean nothing inside a MySQL database, so neither does schemaAccess.
  async revoke(username: string, grants: GrantSet): Promise<void> {
    for (const statement of sql.revoke(username, this.userHost, grants))
      await this.run('revoke', statement, NOTHING_TO_REVOKE);
  }

  // MySQL accounts have no administrator of their own: the CREATE USER privilege an RDS master
  // holds covers every account but those with privileges it lacks (MySQL 8's SYSTEM_USER),
  // and those the server refuses at the first statement, before it changes anything.
  assertCanManage(): Promise<void> {
    return Promise.resolve();
  }

  async dropUser(username: string, options: DropOptions): Promise<void> {
    if (!(await this.userExists(username))) return;
    const definer = sql.definerOf(username, this.userHost);
    const defined = await this.rows<{ kind: string; db: string; name: string }>(
      'find objects the user defines',
      sql.DEFINED_OBJECTS,
      [definer, definer, definer, definer],
    );
    if (defined.length > 0 && !options.dropOwnedObjects) {
      throw new UserOwnsObjectsError(
        username,
        defined.length,
        `user ${username} is the DEFINER of ${defined.length} view(s), routine(s), trigger(s) or event(s), which stop working without it; ` +
          'set DropOwnedObjects: true to drop them with the user (MySQL cannot hand them to ReassignOwnedTo: recreate them under another definer first)',
      );
    }
    for (const object of defined) {
      const statement = sql.dropDefinedObject(object);
      if (statement) await this.run('drop object the user defines', statement);
    }
    await this.run('drop user', sql.dropUser(username, this.userHost));
  }

  async proveAccess(grants: GrantSet): Promise<void> {
    const query = sql.heldPrivileges(grants.database);
    const held = new Set(
      (await this.rows<{ privilege: string }>('check privileges', query.sql, query.params)).map(
        (r) => r.privilege,
      ),
    );
    const missing = sql.mysqlPrivileges(grants.privileges).filter((p) => !held.has(p));
    if (missing.length > 0) {
      throw new DatabaseError(`${this.username} lacks ${missing.join(', ')} on database ${grants.database}`);
    }
  }

  async close(): Promise<void> {
    this.limits.abort?.removeEventListener('abort', this.onAbort);
    if (!(await resolvesWithin(this.connection.end(), CLOSE_MS))) this.connection.destroy();
  }

  /**
   * The answer did not come (a stall, or the deadline): the statement may still run, or wait
   * on a lock, and land later. It is killed from a second connection, and this one destroyed.
   */
  private async abandon(): Promise<void> {
    const { threadId } = this.connection;
    this.connection.destroy();
    if (typeof threadId === 'number') await this.limits.killQuery(threadId).catch(() => undefined);
  }

  private async createWith(username: string, password: Password, requireTls: boolean): Promise<void> {
    const setPassword = sql.setPassword(username, this.userHost, password, this.flavour, requireTls);
    if (await this.userExists(username)) return this.run('set password', setPassword);
    try {
      await this.run(
        'create user',
        sql.createUser(username, this.userHost, password, requireTls, this.flavour),
      );
    } catch (error) {
      // Made between the check and the CREATE (two events for one new secret): same outcome.
      if (!(error instanceof DatabaseError && error.code === USER_EXISTS)) throw error;
      await this.run('set password', setPassword);
    }
  }

  private async grantsOf(username: string): Promise<string[]> {
    const rows = await this.rows('read grants', 'SHOW GRANTS FOR ?@?', [username, this.userHost]);
    return rows.map((row) => String(Object.values(row)[0] ?? ''));
  }

  // SHOW CREATE USER holds the password hash: only whether it says REQUIRE is read from it.
  private async requiresTls(username: string): Promise<boolean> {
    const [row] = await this.rows('read user', 'SHOW CREATE USER ?@?', [username, this.userHost]);
    const text = String(Object.values(row ?? {})[0] ?? '').replace(/'(?:[^'\\]|\\.)*'/g, "''");
    return /\sREQUIRE\s+(SSL|X509|CIPHER|ISSUER|SUBJECT)\b/i.test(text);
  }

  /**
   * MariaDB bounds each statement on the server at the time the deadline leaves it (SET
   * STATEMENT … FOR, no round trip more); MySQL has no such clause, and keeps the session's.
   */
  private bounded(statement: string): string {
    if (this.flavour !== 'mariadb' || this.limits.deadlineAt === undefined) return statement;
    const seconds = statementLimitMs(this.limits) / 1000;
    return `SET STATEMENT max_statement_time = ${seconds.toFixed(3)} FOR ${statement}`;
  }

  private async run(what: string, statement: Statement, tolerated?: Set<number>): Promise<void> {
    try {
      await this.connection.query({
        sql: this.bounded(statement.sql),
        timeout: this.limits.statementMs + ANSWER_GRACE_MS,
      });
    } catch (error) {
      const errno = asDriverError(error).errno;
      if (typeof errno === 'number' && tolerated?.has(errno)) return;
      throw await this.failed(error, what, !statement.sensitive);
    }
  }

  private async rows<T = Record<string, unknown>>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<T[]> {
    try {
      const [rows] = await this.connection.query({
        sql: text,
        values,
        timeout: this.limits.statementMs + ANSWER_GRACE_MS,
      });
      return rows as T[];
    } catch (error) {
      throw await this.failed(error, what, true);
    }
  }

  /** Our error for a failed statement; one without the server's answer is killed and closed. */
  private async failed(error: unknown, what: string, showMessage: boolean): Promise<DatabaseError> {
    if (typeof asDriverError(error).sqlState !== 'string') await this.abandon();
    if (this.limits.abort?.aborted)
      return new DatabaseError(`${what} stopped: the function deadline passed`, 'Deadline');
    return driverFailure(error, what, showMessage, this.limits.statementMs);
  }
}

export const mysql: Engine = {
  family: 'mysql',
  defaultDatabase: 'mysql',

  validateUsername(username) {
    checkIdentifier('user name', username, {
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      maxLength: MAX_USERNAME,
      describe: 'letters, digits and underscores, starting with a letter or underscore',
      reserved: RESERVED_USERS,
    });
  },

  validateDatabaseName(database) {
    checkIdentifier('database name', database, {
      pattern: /^[A-Za-z_][A-Za-z0-9_-]*$/,
      maxLength: MAX_DATABASE,
      describe: 'letters, digits, underscores and hyphens, starting with a letter or underscore',
      // `mysql` stays valid: it is where a master logs in when its secret names no database.
      reserved: /^(information_schema|performance_schema|sys)$/i,
    });
  },

  // MySQL has no schemas inside a database; names are still checked, so bad input fails alike.
  validateSchemaName(schema) {
    checkIdentifier('schema name', schema, {
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      maxLength: MAX_DATABASE,
      describe: 'letters, digits and underscores, starting with a letter or underscore',
    });
  },

  cloneUsername(username) {
    return suffixWithin(username, CLONE_SUFFIX, MAX_USERNAME);
  },

  async connect(endpoint: Endpoint, login: Login, timeouts: Timeouts): Promise<EngineSession> {
    const userHost = endpoint.userHost ?? DEFAULT_USER_HOST;
    checkIdentifier('user host pattern (DBAUTH_MYSQL_USER_HOST)', userHost, {
      pattern: /^[A-Za-z0-9.%_:-]+$/,
      maxLength: 255,
      describe: 'a host name, an IP address or a pattern of them with % and _',
    });
    const ssl = sslOf(endpoint);
    const { createConnection } = await loadDriver();
    const options = {
      host: endpoint.host,
      port: endpoint.port,
      database: endpoint.database,
      user: login.username,
      password: login.password.reveal(),
      connectTimeout: timeouts.connectMs,
      charset: 'utf8mb4',
      multipleStatements: false,
      ...(ssl ? { ssl } : {}),
    };
    let connection: Connection;
    try {
      if (timeouts.abort?.aborted) throw Object.assign(new Error('deadline'), { code: 'DEADLINE_PASSED' });
      connection = await createConnection(options);
    } catch (error) {
      const { errno, code, sqlState } = asDriverError(error);
      const codeText = typeof code === 'string' ? code : undefined;
      const state = typeof sqlState === 'string' ? sqlState : undefined;
      if (typeof errno === 'number' && AUTH_FAILURES.has(errno)) {
        throw new AuthenticationFailedError(login.username, endpoint.host, codeText, state);
      }
      if (state) {
        throw driverFailure(
          error,
          `connect to ${endpoint.host}:${endpoint.port}/${endpoint.database}`,
          true,
          0,
        );
      }
      throw new DatabaseUnreachableError(
        endpoint.host,
        endpoint.port,
        whyUnreachable(error, endpoint, timeouts),
      );
    }
    // A dropped connection emits 'error'; without a listener it would crash the process.
    connection.on('error', () => undefined);
    let flavour: Flavour;
    try {
      await connection.query({ sql: sql.SESSION_SETUP, timeout: timeouts.statementMs });
      const [rows] = await connection.query({
        sql: 'SELECT VERSION() AS version',
        timeout: timeouts.statementMs,
      });
      const version = String((rows as { version?: unknown }[])[0]?.version ?? '');
      flavour = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
      await connection.query({
        sql: sql.sessionLimits(flavour, timeouts.statementMs),
        timeout: timeouts.statementMs,
      });
    } catch (error) {
      connection.destroy();
      throw driverFailure(error, 'set up session', true, timeouts.statementMs);
    }
    const killQuery = async (threadId: number) => {
      const killer = await createConnection({ ...options, connectTimeout: timeouts.connectMs });
      killer.on('error', () => undefined);
      try {
        await killer.query({ sql: `KILL QUERY ${Math.trunc(threadId)}`, timeout: timeouts.statementMs });
      } finally {
        killer.destroy();
      }
    };
    // Connected after the deadline: the work it was for has been given up.
    if (timeouts.abort?.aborted) {
      connection.destroy();
      throw new DatabaseUnreachableError(
        endpoint.host,
        endpoint.port,
        'the function deadline passed while connecting',
      );
    }
    return new MysqlSession(connection, login.username, userHost, endpoint.tls.mode !== 'disable', flavour, {
      statementMs: timeouts.statementMs,
      abort: timeouts.abort,
      deadlineAt: timeouts.deadlineAt,
      killQuery,
    });
  },
};
