// mysql2, loaded on first connect; it runs our statements and throws only DatabaseErrors.
import type { Socket } from 'node:net';
import type { Connection, SslOptions } from 'mysql2/promise';
import { resolvesWithin, statementLimitMs } from '../../deadline';
import type { Endpoint, Login, Timeouts } from '../engine';
import { AuthenticationFailedError, DatabaseError, DatabaseUnreachableError } from '../errors';
import { tlsOptions } from '../tls';
import { asDriverError, driverFailure, unreachable } from './driver-errors';
import * as sql from './statements';

type MysqlDriver = typeof import('mysql2/promise');

// ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
const AUTH_FAILURES = new Set([1045, 1698]);
/** How long a polite end of the connection may take before it is destroyed. */
const CLOSE_MS = 1000;
// Past the server's own limit, the client waits this much longer for its answer.
const ANSWER_GRACE_MS = 1000;

/**
 * mysql2's promise API, loaded on first use: a function serving PostgreSQL never pays for it.
 * mysql2 is CommonJS, and an ESM bundle split into chunks hands it over as `default` only.
 */
export async function loadDriver(): Promise<MysqlDriver> {
  const loaded: MysqlDriver & { default?: MysqlDriver } = await import('mysql2/promise');
  return loaded.default ?? loaded;
}

/** mysql2's TLS options: `verify-full` also checks the host name (mysql2's verifyIdentity). */
export function sslOf(endpoint: Endpoint): SslOptions | undefined {
  const tls = tlsOptions(endpoint.tls, endpoint.host);
  if (!tls) return undefined;
  return {
    rejectUnauthorized: tls.rejectUnauthorized !== false,
    verifyIdentity: endpoint.tls.mode === 'verify-full',
    ...(typeof tls.ca === 'string' ? { ca: tls.ca } : {}),
  };
}

interface ConnectionLimits {
  statementMs: number;
  abort: AbortSignal | undefined;
  deadlineAt: number | undefined;
  /** Ends the statement a thread runs, from a connection of its own (KILL QUERY). */
  killQuery: (threadId: number) => Promise<void>;
}

/**
 * A logged-in mysql2 connection that runs statements and throws only `DatabaseError`s. A
 * statement whose answer does not come (a stall, or the deadline) is killed on the server.
 */
export class MysqlConnection {
  constructor(
    private readonly connection: Connection,
    /** MySQL or MariaDB, as the server says of itself. */
    readonly flavour: sql.Flavour,
    private readonly limits: ConnectionLimits,
  ) {
    limits.abort?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => void this.abandon();

  /** Runs `statement`; a failure whose errno is in `tolerated` is success. */
  async run(what: string, statement: sql.Statement, tolerated?: Set<number>): Promise<void> {
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

  async rows<T = Record<string, unknown>>(what: string, query: sql.Query): Promise<T[]> {
    try {
      const [rows] = await this.connection.query({
        sql: query.sql,
        values: query.params,
        timeout: this.limits.statementMs + ANSWER_GRACE_MS,
      });
      return rows as T[];
    } catch (error) {
      throw await this.failed(error, what, true);
    }
  }

  async close(): Promise<void> {
    this.limits.abort?.removeEventListener('abort', this.onAbort);
    // mysql2's end() resolves once QUIT is queued, while the server still counts the session:
    // wait for the socket to close too, so a cap on connections holds as the server sees it.
    const socket = (this.connection as unknown as { connection?: { stream?: Socket } }).connection?.stream;
    const socketClosed =
      socket && !socket.closed
        ? new Promise<void>((resolve) => socket.once('close', () => resolve()))
        : undefined;
    const ended = this.connection.end().then(() => socketClosed);
    if (!(await resolvesWithin(ended, CLOSE_MS))) this.connection.destroy();
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

  /**
   * MariaDB bounds each statement on the server at the time the deadline leaves it (SET
   * STATEMENT … FOR, no round trip more); MySQL has no such clause, and keeps the session's.
   */
  private bounded(statement: string): string {
    if (this.flavour !== 'mariadb' || this.limits.deadlineAt === undefined) return statement;
    return sql.boundedStatement(statement, statementLimitMs(this.limits) / 1000);
  }

  /** Our error for a failed statement; one without the server's answer is killed and closed. */
  private async failed(error: unknown, what: string, showMessage: boolean): Promise<DatabaseError> {
    if (typeof asDriverError(error).sqlState !== 'string') await this.abandon();
    if (this.limits.abort?.aborted)
      return new DatabaseError(`${what} stopped: the function deadline passed`, 'Deadline');
    return driverFailure(error, what, showMessage, this.limits.statementMs);
  }
}

/**
 * Logs in and sets the session up (escaping, the server's own time limits), or throws
 * `AuthenticationFailedError`, `DatabaseUnreachableError` or `DatabaseError`.
 */
export async function connectMysql(
  endpoint: Endpoint,
  login: Login,
  timeouts: Timeouts,
): Promise<MysqlConnection> {
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
    ssl,
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
    throw unreachable(error, endpoint, timeouts);
  }
  // A dropped connection emits 'error'; without a listener it would crash the process.
  connection.on('error', () => undefined);
  let flavour: sql.Flavour;
  try {
    await connection.query({ sql: sql.SESSION_SETUP, timeout: timeouts.statementMs });
    const [rows] = await connection.query({ sql: sql.SERVER_VERSION, timeout: timeouts.statementMs });
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
      await killer.query({ sql: sql.killQuery(threadId), timeout: timeouts.statementMs });
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
      'Deadline',
    );
  }
  return new MysqlConnection(connection, flavour, {
    statementMs: timeouts.statementMs,
    abort: timeouts.abort,
    deadlineAt: timeouts.deadlineAt,
    killQuery,
  });
}
