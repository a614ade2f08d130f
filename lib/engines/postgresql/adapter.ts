import type { Client } from 'pg';
import type { Password } from '../../secrets/password';
import type { DropOptions, Endpoint, Engine, EngineSession, GrantSet, Login, Timeouts } from '../engine';
import {
  AuthenticationFailedError,
  DatabaseError,
  DatabaseUnreachableError,
  MasterCannotManageUserError,
  UserOwnsObjectsError,
} from '../errors';
import { CLONE_SUFFIX, checkIdentifier, suffixWithin } from '../identifiers';
import * as sql from './statements';
import { resolvesWithin, statementLimitMs } from '../../deadline';
import { tlsOptions } from '../tls';

const MAX_IDENTIFIER = 63;
// Roles of PostgreSQL itself and of RDS/Aurora, and SQL keywords that name roles.
const RESERVED_ROLES =
  /^(pg_.*|rds.*|postgres|public|none|current_user|current_role|session_user|azure_.*)$/i;
const AUTH_FAILURES = new Set(['28P01', '28000']);
const INSUFFICIENT_PRIVILEGE = '42501';
const UNDEFINED_OBJECT = '42704';
// Fixed words for states a statement holding a password must explain without its message.
const KNOWN_STATES: Record<string, string> = {
  '55P03': 'waited too long for a lock another session holds',
  '57014': 'the server stopped it at the statement timeout',
  '25006': 'the session is read-only',
  '57P01': 'the server ended the connection (an administrator, or a shutdown)',
  '42501': 'permission denied',
};

/** An error the server sent (pg's DatabaseError): it has a severity and a SQLSTATE. */
function isServerError(error: unknown): error is Error & { code?: string } {
  return error instanceof Error && typeof (error as { severity?: unknown }).severity === 'string';
}

function driverFailure(error: unknown, what: string, showMessage: boolean, statementMs = 0): DatabaseError {
  if (isServerError(error)) {
    // The server's own message names objects, never values, except for statements that hold
    // a password; those show only their SQLSTATE.
    const serverDetail = (error as { detail?: unknown }).detail;
    const detail = showMessage
      ? `: ${error.message}${typeof serverDetail === 'string' ? ` (${serverDetail.replace(/\s+/g, ' ')})` : ''}`
      : '';
    const known = KNOWN_STATES[error.code ?? ''];
    return new DatabaseError(
      `${what} failed (SQLSTATE ${error.code ?? '?'}${known ? `: ${known}` : ''})${detail}`,
      error.code,
      error.code,
    );
  }
  return new DatabaseError(`${what} failed: ${whatHappened(error, statementMs)}`, 'ConnectionFailed');
}

// pg's own errors for a lost or late answer are plain Errors: their fixed messages say which.
function whatHappened(error: unknown, statementMs: number): string {
  const message = error instanceof Error ? error.message : '';
  if (/timeout/i.test(message)) return `no answer within ${statementMs} ms (the connection was closed)`;
  if (/terminated|not queryable|ended|ECONNRESET|EPIPE/i.test(message) || (error as { code?: unknown })?.code)
    return 'the connection to the database was lost';
  return error instanceof Error ? error.name : 'unknown error';
}

// Connection failures carry no statement, but only their kind is shown all the same.
function whyUnreachable(error: unknown, endpoint: Endpoint, timeouts: Timeouts): string {
  const message = error instanceof Error ? error.message : '';
  if (/does not support SSL/i.test(message)) {
    return `the server does not offer TLS and TLS mode is ${endpoint.tls.mode} (dbauth never falls back to plaintext)`;
  }
  if (/timeout/i.test(message)) return `no answer within ${timeouts.connectMs} ms`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /CERT|SIGNATURE|ALTNAME/.test(code)) {
    return `its TLS certificate could not be verified (${code}); point DBAUTH_CA_BUNDLE at the CA bundle that signed it`;
  }
  if (typeof code === 'string') return code;
  return `connection failed (${error instanceof Error ? error.name : 'unknown error'})`;
}

/** How long a polite end of the connection may take before its socket is destroyed. */
const CLOSE_MS = 1000;
// Past the server's statement_timeout, the client waits this much longer for its answer.
const ANSWER_GRACE_MS = 1000;

/** Closes the socket under pg at once: the server then ends what the session was doing. */
function destroy(client: Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

class PostgresSession implements EngineSession {
  readonly grantScope = 'schema';

  constructor(
    private readonly client: Client,
    readonly username: string,
    private readonly timeouts: Timeouts,
  ) {
    timeouts.abort?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * What starts a transaction: the server's limits for it end at the deadline too, so a
   * statement the client gave up on cannot commit later (one round trip, as before).
   */
  private begin(): sql.Statement {
    const ms = statementLimitMs(this.timeouts);
    return { sql: `BEGIN; SET LOCAL statement_timeout = ${ms}; SET LOCAL lock_timeout = ${ms}` };
  }

  private readonly onAbort = () => destroy(this.client);

  async userExists(username: string): Promise<boolean> {
    const result = await this.query('look up role', 'SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
    return result.length > 0;
  }

  // Serialized like grants: two sessions changing one role at once fail with "tuple
  // concurrently updated", and two events about one new secret both create its user.
  async createUser(username: string, password: Password): Promise<void> {
    await this.serialized(async () => {
      if (await this.userExists(username))
        await this.run('set password', sql.setPassword(username, password));
      else await this.run('create role', sql.createUser(username, password));
    });
  }

  async setPassword(username: string, password: Password): Promise<void> {
    await this.serialized(() => this.run('set password', sql.setPassword(username, password)));
  }

  // In a transaction of its own, so its limits end at the deadline like every other change.
  async changeOwnPassword(password: Password): Promise<void> {
    await this.run('begin', this.begin());
    try {
      await this.run('change own password', sql.changeOwnPassword(password));
      await this.run('commit', { sql: 'COMMIT' });
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async cloneUser(source: string, clone: string, password: Password): Promise<void> {
    await this.createUser(clone, password);
    await this.syncClone(source, clone);
  }

  // Membership carries every grant of the source, now and later: nothing to copy.
  async syncClone(source: string, clone: string): Promise<void> {
    await this.runSerialized('make clone act as user', sql.cloneMembership(source, clone));
  }

  async grant(username: string, grants: GrantSet): Promise<void> {
    await this.runSerialized('grant', sql.grant(username, grants));
  }

  async revoke(
    username: string,
    grants: GrantSet,
    options: { schemaAccess: boolean; databaseAccess?: boolean },
  ): Promise<void> {
    await this.runSerialized('revoke', [
      ...sql.revoke(username, grants, options.schemaAccess),
      ...(options.databaseAccess ? [sql.revokeConnect(username, grants.database)] : []),
    ]);
  }

  async dropUser(username: string, options: DropOptions): Promise<void> {
    if (!(await this.userExists(username))) return;
    const [row] = await this.query<{ owned: number }>('count owned objects', sql.COUNT_OWNED_OBJECTS, [
      username,
    ]);
    const owned = row?.owned ?? 0;
    if (owned > 0 && !options.reassignOwnedTo && !options.dropOwnedObjects) {
      throw new UserOwnsObjectsError(username, owned);
    }
    try {
      await this.assertCanManage(username);
      const heir = options.reassignOwnedTo;
      if (heir !== undefined && heir !== this.username) await this.assertCanManage(heir);
      await this.runSerialized('drop role', sql.dropUser(username, heir));
    } catch (error) {
      // Dropped meanwhile by another session (a Create's cleanup racing its rollback): done.
      if (
        error instanceof DatabaseError &&
        error.sqlState === UNDEFINED_OBJECT &&
        !(await this.userExists(username))
      )
        return;
      throw error;
    }
  }

  // Under the lock role changes take (a concurrent ALTER ROLE fails the probe otherwise).
  async assertCanManage(username: string): Promise<void> {
    await this.run('begin', this.begin());
    try {
      await this.run('wait for other dbauth changes', { sql: sql.SERIALIZE_CHANGES });
      await this.run('check the master may alter the role', sql.probeManage(username));
    } catch (error) {
      if (error instanceof DatabaseError && error.sqlState === INSUFFICIENT_PRIVILEGE)
        throw new MasterCannotManageUserError(this.username, username);
      throw error;
    } finally {
      await this.client.query('ROLLBACK').catch(() => undefined);
    }
  }

  async proveAccess(grants: GrantSet): Promise<void> {
    for (const check of sql.missingPrivileges(grants)) {
      const missing = await this.query<{ missing: string }>('check privileges', check.sql, check.params);
      if (missing.length > 0) {
        throw new DatabaseError(`${this.username} lacks ${missing.map((m) => m.missing).join(', ')}`);
      }
    }
  }

  // pg's end() waits for the server to close its side, which a stalled network never does.
  async close(): Promise<void> {
    this.timeouts.abort?.removeEventListener('abort', this.onAbort);
    if (!(await resolvesWithin(this.client.end(), CLOSE_MS))) destroy(this.client);
  }

  /**
   * Runs `statements` in one transaction, after every other dbauth session in this database
   * finished its own: concurrent GRANTs on one schema or database fail in PostgreSQL with
   * "tuple concurrently updated" (XX000), which a stack creating several users at once hits.
   */
  private async runSerialized(what: string, statements: sql.Statement[]): Promise<void> {
    const borrows = statements.some((statement) => statement.borrowsRoles);
    await this.serialized(async () => {
      for (const statement of statements) await this.run(what, statement);
      if (borrows) await this.run(what, sql.RETURN_BORROWED_ROLES);
    });
  }

  /** Runs `work` in a transaction that waits for every other dbauth change on the server. */
  private async serialized(work: () => Promise<void>): Promise<void> {
    await this.run('begin', this.begin());
    try {
      await this.run('wait for other dbauth changes', { sql: sql.SERIALIZE_CHANGES });
      await work();
      await this.run('commit', { sql: 'COMMIT' });
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async run(what: string, statement: sql.Statement): Promise<void> {
    try {
      await this.client.query(statement.sql);
    } catch (error) {
      throw this.failed(error, what, !statement.sensitive);
    }
  }

  private async query<T = Record<string, unknown>>(
    what: string,
    text: string,
    params: unknown[],
  ): Promise<T[]> {
    try {
      return (await this.client.query(text, params)).rows as T[];
    } catch (error) {
      throw this.failed(error, what, true);
    }
  }

  /** Our error for a failed statement; a connection that lost its answer is closed for good. */
  private failed(error: unknown, what: string, showMessage: boolean): DatabaseError {
    if (!isServerError(error)) destroy(this.client);
    if (this.timeouts.abort?.aborted)
      return new DatabaseError(`${what} stopped: the function deadline passed`, 'Deadline');
    return driverFailure(error, what, showMessage, this.timeouts.statementMs);
  }
}

export const postgresql: Engine = {
  family: 'postgresql',
  defaultDatabase: 'postgres',

  validateUsername(username) {
    checkIdentifier('user name', username, {
      pattern: /^[a-z_][a-z0-9_]*$/,
      maxLength: MAX_IDENTIFIER,
      describe: 'lower-case letters, digits and underscores, starting with a letter or underscore',
      reserved: RESERVED_ROLES,
    });
  },

  validateDatabaseName(database) {
    checkIdentifier('database name', database, {
      pattern: /^[A-Za-z_][A-Za-z0-9_-]*$/,
      maxLength: MAX_IDENTIFIER,
      describe: 'letters, digits, underscores and hyphens, starting with a letter or underscore',
    });
  },

  validateSchemaName(schema) {
    checkIdentifier('schema name', schema, {
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      maxLength: MAX_IDENTIFIER,
      describe: 'letters, digits and underscores, starting with a letter or underscore',
      reserved: /^(pg_.*|information_schema)$/i,
    });
  },

  cloneUsername(username) {
    return suffixWithin(username, CLONE_SUFFIX, MAX_IDENTIFIER);
  },

  async connect(endpoint: Endpoint, login: Login, timeouts: Timeouts): Promise<EngineSession> {
    // Loaded on first use: a function serving MySQL never pays for the PostgreSQL driver.
    const { Client } = await import('pg');
    const client: Client = new Client({
      host: endpoint.host,
      port: endpoint.port,
      database: endpoint.database,
      user: login.username,
      password: login.password.reveal(),
      ssl: tlsOptions(endpoint.tls, endpoint.host),
      connectionTimeoutMillis: timeouts.connectMs,
      // The server ends a statement (and its locks) after statement_timeout; the client gives
      // up a little later, when the network, not the statement, is what hangs.
      query_timeout: timeouts.statementMs + ANSWER_GRACE_MS,
      statement_timeout: timeouts.statementMs,
      lock_timeout: timeouts.statementMs,
      application_name: 'dbauth',
    });
    // A dropped connection emits 'error'; without a listener it would crash the process.
    client.on('error', () => undefined);
    const abandon = () => destroy(client);
    timeouts.abort?.addEventListener('abort', abandon, { once: true });
    try {
      if (timeouts.abort?.aborted) throw new Error('deadline passed before connecting');
      await client.connect();
    } catch (error) {
      timeouts.abort?.removeEventListener('abort', abandon);
      destroy(client);
      if (isServerError(error)) {
        if (AUTH_FAILURES.has(error.code ?? '')) {
          throw new AuthenticationFailedError(login.username, endpoint.host, error.code, error.code);
        }
        throw driverFailure(error, `connect to ${endpoint.host}:${endpoint.port}/${endpoint.database}`, true);
      }
      throw new DatabaseUnreachableError(
        endpoint.host,
        endpoint.port,
        whyUnreachable(error, endpoint, timeouts),
      );
    }
    timeouts.abort?.removeEventListener('abort', abandon);
    // Connected after the deadline: the work it was for has been given up.
    if (timeouts.abort?.aborted) {
      destroy(client);
      throw new DatabaseUnreachableError(
        endpoint.host,
        endpoint.port,
        'the function deadline passed while connecting',
      );
    }
    return new PostgresSession(client, login.username, timeouts);
  },
};
