// pg, loaded on first connect; its errors turned into dbauth's: no error of ours carries SQL text.
import type { Client } from 'pg';
import { resolvesWithin } from '../../deadline';
import type { Endpoint, Login, Timeouts } from '../engine';
import { AuthenticationFailedError, DatabaseError, DatabaseUnreachableError } from '../errors';
import { tlsOptions } from '../tls';
import { ROLLBACK, type Query, type Statement } from './statements';

const AUTH_FAILURES = new Set(['28P01', '28000']);
// Fixed words for states a statement holding a password must explain without its message.
const KNOWN_STATES: Record<string, string> = {
  '55P03': 'waited too long for a lock another session holds',
  '57014': 'the server stopped it at the statement timeout',
  '25006': 'the session is read-only',
  '57P01': 'the server ended the connection (an administrator, or a shutdown)',
  '42501': 'permission denied',
};

/** How long a polite end of the connection may take before its socket is destroyed. */
const CLOSE_MS = 1000;
// Past the server's statement_timeout, the client waits this much longer for its answer.
const ANSWER_GRACE_MS = 1000;

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

/**
 * Why no connection was made, in words, and the error's code when it has one (ECONNREFUSED,
 * a certificate error's): connection failures carry no statement, but only their kind is shown.
 */
function unreachable(error: unknown, endpoint: Endpoint, timeouts: Timeouts): DatabaseUnreachableError {
  const code = (error as { code?: unknown }).code;
  const codeText = typeof code === 'string' ? code : undefined;
  const fail = (reason: string) =>
    new DatabaseUnreachableError(endpoint.host, endpoint.port, reason, codeText);
  const message = error instanceof Error ? error.message : '';
  if (/does not support SSL/i.test(message)) {
    return fail(
      `the server does not offer TLS and TLS mode is ${endpoint.tls.mode} (dbauth never falls back to plaintext)`,
    );
  }
  if (/timeout/i.test(message)) return fail(`no answer within ${timeouts.connectMs} ms`);
  if (codeText && /CERT|SIGNATURE|ALTNAME/.test(codeText)) {
    return fail(
      `its TLS certificate could not be verified (${codeText}); point DBAUTH_CA_BUNDLE at the CA bundle that signed it`,
    );
  }
  if (codeText) return fail(codeText);
  return fail(`connection failed (${error instanceof Error ? error.name : 'unknown error'})`);
}

/** Closes the socket under pg at once: the server then ends what the session was doing. */
function destroy(client: Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * A logged-in pg client that runs statements and throws only `DatabaseError`s. When the
 * invocation's deadline aborts, its socket is destroyed at once.
 */
export class PostgresConnection {
  constructor(
    private readonly client: Client,
    private readonly timeouts: Timeouts,
  ) {
    timeouts.abort?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => destroy(this.client);

  async run(what: string, statement: Statement): Promise<void> {
    try {
      await this.client.query(statement.sql);
    } catch (error) {
      throw this.failed(error, what, !statement.sensitive);
    }
  }

  async rows<T = Record<string, unknown>>(what: string, query: Query): Promise<T[]> {
    try {
      return (await this.client.query(query.sql, query.params)).rows as T[];
    } catch (error) {
      throw this.failed(error, what, true);
    }
  }

  /** Ends the transaction; on a connection already lost there is nothing to end. */
  async rollback(): Promise<void> {
    await this.client.query(ROLLBACK.sql).catch(() => undefined);
  }

  // pg's end() waits for the server to close its side, which a stalled network never does.
  async close(): Promise<void> {
    this.timeouts.abort?.removeEventListener('abort', this.onAbort);
    if (!(await resolvesWithin(this.client.end(), CLOSE_MS))) destroy(this.client);
  }

  /** Our error for a failed statement; a connection that lost its answer is closed for good. */
  private failed(error: unknown, what: string, showMessage: boolean): DatabaseError {
    if (!isServerError(error)) destroy(this.client);
    if (this.timeouts.abort?.aborted)
      return new DatabaseError(`${what} stopped: the function deadline passed`, 'Deadline');
    return driverFailure(error, what, showMessage, this.timeouts.statementMs);
  }
}

/** Logs in, or throws `AuthenticationFailedError`, `DatabaseUnreachableError` or `DatabaseError`. */
export async function connectPostgres(
  endpoint: Endpoint,
  login: Login,
  timeouts: Timeouts,
): Promise<PostgresConnection> {
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
    throw unreachable(error, endpoint, timeouts);
  }
  timeouts.abort?.removeEventListener('abort', abandon);
  // Connected after the deadline: the work it was for has been given up.
  if (timeouts.abort?.aborted) {
    destroy(client);
    throw new DatabaseUnreachableError(
      endpoint.host,
      endpoint.port,
      'the function deadline passed while connecting',
      'Deadline',
    );
  }
  return new PostgresConnection(client, timeouts);
}
