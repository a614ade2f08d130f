import { DbauthError } from '../errors';

/** The engines' base: what an engine refused or a database did. */
export class EngineError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/**
 * A database operation failed. Adapters throw these instead of driver errors, carrying only
 * a code and SQLSTATE: driver errors may hold the statement text, and so a password.
 */
export class DatabaseError extends EngineError {
  constructor(
    message: string,
    readonly code?: string,
    readonly sqlState?: string,
  ) {
    super(message);
    this.name = 'DatabaseError';
  }
}

/** The server refused the user name and password. */
export class AuthenticationFailedError extends DatabaseError {
  constructor(username: string, host: string, code?: string, sqlState?: string) {
    super(`database at ${host} refused the login of ${username}`, code, sqlState);
    this.name = 'AuthenticationFailedError';
  }
}

/**
 * No connection could be made, or the server did not answer in time. `reason` is words for
 * the message; `code` only a code (the socket's `ECONNREFUSED`, `ETIMEDOUT`, a TLS error's).
 */
export class DatabaseUnreachableError extends DatabaseError {
  constructor(host: string, port: number, reason: string, code?: string) {
    super(`database at ${host}:${port} is unreachable: ${reason}`, code);
    this.name = 'DatabaseUnreachableError';
  }
}

/** An identifier the engine will not take: refused before any statement is built. */
export class InvalidIdentifierError extends EngineError {
  constructor(kind: string, problem: string) {
    super(`invalid ${kind}: ${problem}`);
    this.name = 'InvalidIdentifierError';
  }

  override get invalidInput(): boolean {
    return true;
  }
}

/** The user owns database objects, and nothing was said about what should become of them. */
export class UserOwnsObjectsError extends DatabaseError {
  constructor(
    username: string,
    readonly count: number,
    message = `user ${username} owns ${count} database object(s); set ReassignOwnedTo to a role that receives them, ` +
      'or DropOwnedObjects: true to drop them with the user',
  ) {
    super(message);
    this.name = 'UserOwnsObjectsError';
  }
}

/**
 * The master may not alter the user: on PostgreSQL 16+ a CREATEROLE master manages only the
 * roles it holds ADMIN OPTION on (those it created, or was granted), and never a superuser.
 */
export class MasterCannotManageUserError extends DatabaseError {
  constructor(master: string, username: string) {
    super(
      `the master user ${master} may not alter or drop user ${username}: PostgreSQL 16 and later let a CREATEROLE ` +
        `user manage only the roles it holds ADMIN OPTION on (it gets that on the roles it creates), and no superuser. ` +
        `To let dbauth manage ${username}, a superuser or a role with ADMIN OPTION on it runs: GRANT "${username}" TO "${master}" WITH ADMIN OPTION`,
      'MasterCannotManageUser',
    );
    this.name = 'MasterCannotManageUserError';
  }
}
