// mysql2's errors turned into dbauth's: no error of ours carries SQL text.
import type { Endpoint, Timeouts } from '../engine';
import { DatabaseError, DatabaseUnreachableError } from '../errors';

// ER_NONEXISTING_GRANT, ER_NONEXISTING_TABLE_GRANT, ER_NONEXISTING_PROC_GRANT: nothing to revoke.
export const NOTHING_TO_REVOKE = new Set([1141, 1147, 1403]);

// MariaDB's max_statement_time (ER_STATEMENT_TIMEOUT), MySQL's max_execution_time
// (ER_QUERY_TIMEOUT), and a lock wait past lock_wait_timeout (ER_LOCK_WAIT_TIMEOUT).
const SERVER_TIMEOUTS = new Set([1969, 3024, 1205]);

export interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
}

export const asDriverError = (error: unknown): DriverError =>
  typeof error === 'object' && error !== null ? (error as DriverError) : {};

/**
 * Our error for a driver error, built from its code and SQLSTATE only: mysql2 puts the whole
 * statement on `err.sql`, and the logger prints every property and the `cause`.
 */
export function driverFailure(
  error: unknown,
  what: string,
  showMessage: boolean,
  statementMs: number,
): DatabaseError {
  const { code, errno, sqlState, sqlMessage } = asDriverError(error);
  const codeText = typeof code === 'string' ? code : undefined;
  const state = typeof sqlState === 'string' ? sqlState : undefined;
  if (codeText === 'PROTOCOL_SEQUENCE_TIMEOUT') {
    return new DatabaseError(
      `${what} failed: no answer within ${statementMs} ms (the statement was killed)`,
      codeText,
    );
  }
  // The server's own limits (sessionLimits): said in words, as the statement may hold a password.
  if (typeof errno === 'number' && SERVER_TIMEOUTS.has(errno)) {
    return new DatabaseError(
      `${what} failed: the server stopped it after ${statementMs} ms (error ${errno}; a lock held by another session?)`,
      codeText ?? String(errno),
      typeof sqlState === 'string' ? sqlState : undefined,
    );
  }
  if (state) {
    // The server's message names accounts and objects; a statement that held a password
    // shows only its codes (a syntax error would quote the text near the password).
    const detail = showMessage && typeof sqlMessage === 'string' ? `: ${sqlMessage}` : '';
    return new DatabaseError(
      `${what} failed (${codeText ?? '?'}, SQLSTATE ${state})${detail}`,
      codeText,
      state,
    );
  }
  return new DatabaseError(
    `${what} failed: ${codeText ?? (error instanceof Error ? error.name : 'unknown error')}`,
    codeText,
  );
}

/**
 * Our error for a failed connection: why, in words, and mysql2's code (ECONNREFUSED,
 * ETIMEDOUT, HANDSHAKE_NO_SSL_SUPPORT…). Connection failures carry no statement, but only
 * their kind is shown all the same.
 */
export function unreachable(
  error: unknown,
  endpoint: Endpoint,
  timeouts: Timeouts,
): DatabaseUnreachableError {
  const code = asDriverError(error).code;
  const reason = whyUnreachable(error, endpoint, timeouts);
  return new DatabaseUnreachableError(
    endpoint.host,
    endpoint.port,
    reason,
    typeof code === 'string' ? code : undefined,
  );
}

function whyUnreachable(error: unknown, endpoint: Endpoint, timeouts: Timeouts): string {
  const code = asDriverError(error).code;
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return `the server does not offer TLS and TLS mode is ${endpoint.tls.mode} (dbauth never falls back to plaintext)`;
  }
  if (code === 'ETIMEDOUT') return `no answer within ${timeouts.connectMs} ms`;
  // mysql2 replaces a TLS error's code with its own; Node's message (a fixed text) says which.
  const message = (error as { message?: unknown } | undefined)?.message;
  if (code === 'HANDSHAKE_SSL_ERROR' && typeof message === 'string' && /certificate|altname/i.test(message)) {
    return `its TLS certificate could not be verified (${message.slice(0, 80)}); point DBAUTH_CA_BUNDLE at the CA bundle that signed it`;
  }
  if (typeof code === 'string' && /CERT|SIGNATURE|ALTNAME|SELF_SIGNED/.test(code)) {
    return `its TLS certificate could not be verified (${code}); point DBAUTH_CA_BUNDLE at the CA bundle that signed it`;
  }
  if (typeof code === 'string') return code;
  return `connection failed (${error instanceof Error ? error.name : 'unknown error'})`;
}
